;; LayerNorm backward of model/layer-norm.ts: dx per row, and dGamma/dBeta accumulated, in float64 in the
;; JavaScript loop's order (bit-identical). Byte addresses.
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $lnBackward (export "lnBackward") (type $kernel) (param $dy i32) (param $gamma i32) (param $xhat i32) (param $rstd i32) (param $rows i32) (param $H i32) (param $dx i32) (param $dGamma i32) (param $dBeta i32)
    (local $r i32) (local $c i32) (local $o i32) (local $meanG f64) (local $meanGX f64) (local $d f64) (local $gv f64) (local $xh f64) (local $s f64) (local $hf f64)
    (local.set $hf
      (f64.convert_i32_u
        (local.get $H)))
    (local.set $r
      (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $rows)))
        (local.set $o
          (i32.shl
            (i32.mul
              (local.get $r)
              (local.get $H))
            (i32.const 2)))
        (local.set $meanG
          (f64.const 0))
        (local.set $meanGX
          (f64.const 0))
        (local.set $c
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $H)))
            (local.set $d
              (f64.promote_f32
                (f32.load
                  (i32.add
                    (i32.add
                      (local.get $dy)
                      (local.get $o))
                    (i32.shl
                      (local.get $c)
                      (i32.const 2))))))
            (local.set $gv
              (f64.mul
                (local.get $d)
                (f64.promote_f32
                  (f32.load
                    (i32.add
                      (local.get $gamma)
                      (i32.shl
                        (local.get $c)
                        (i32.const 2)))))))
            (local.set $xh
              (f64.promote_f32
                (f32.load
                  (i32.add
                    (i32.add
                      (local.get $xhat)
                      (local.get $o))
                    (i32.shl
                      (local.get $c)
                      (i32.const 2))))))
            (local.set $meanG
              (f64.add
                (local.get $meanG)
                (local.get $gv)))
            (local.set $meanGX
              (f64.add
                (local.get $meanGX)
                (f64.mul
                  (local.get $gv)
                  (local.get $xh))))
            (f32.store
              (i32.add
                (local.get $dGamma)
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (f64.add
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (local.get $dGamma)
                        (i32.shl
                          (local.get $c)
                          (i32.const 2)))))
                  (f64.mul
                    (local.get $d)
                    (local.get $xh)))))
            (f32.store
              (i32.add
                (local.get $dBeta)
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (f64.add
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (local.get $dBeta)
                        (i32.shl
                          (local.get $c)
                          (i32.const 2)))))
                  (local.get $d))))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L3)))
        (local.set $meanG
          (f64.div
            (local.get $meanG)
            (local.get $hf)))
        (local.set $meanGX
          (f64.div
            (local.get $meanGX)
            (local.get $hf)))
        (local.set $s
          (f64.promote_f32
            (f32.load
              (i32.add
                (local.get $rstd)
                (i32.shl
                  (local.get $r)
                  (i32.const 2))))))
        (local.set $c
          (i32.const 0))
        (block $B4
          (loop $L5
            (br_if $B4
              (i32.ge_u
                (local.get $c)
                (local.get $H)))
            (f32.store
              (i32.add
                (i32.add
                  (local.get $dx)
                  (local.get $o))
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (f64.mul
                  (f64.sub
                    (f64.sub
                      (f64.mul
                        (f64.promote_f32
                          (f32.load
                            (i32.add
                              (i32.add
                                (local.get $dy)
                                (local.get $o))
                              (i32.shl
                                (local.get $c)
                                (i32.const 2)))))
                        (f64.promote_f32
                          (f32.load
                            (i32.add
                              (local.get $gamma)
                              (i32.shl
                                (local.get $c)
                                (i32.const 2))))))
                      (local.get $meanG))
                    (f64.mul
                      (f64.promote_f32
                        (f32.load
                          (i32.add
                            (i32.add
                              (local.get $xhat)
                              (local.get $o))
                            (i32.shl
                              (local.get $c)
                              (i32.const 2)))))
                      (local.get $meanGX)))
                  (local.get $s))))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L5)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 1)))
        (br $L1)))))
