;; LayerNorm forward of model/layer-norm.ts per row: mean, variance, rstd = 1/√(var/H + eps), xhat and
;; out = xhat·gamma + beta, in float64 in the JavaScript loop's order (bit-identical). Byte addresses.
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 i32 i32 f64)))
  (import "env" "memory" (memory 1))
  (func $lnForward (export "lnForward") (type $kernel) (param $x i32) (param $gamma i32) (param $beta i32) (param $rows i32) (param $H i32) (param $xhat i32) (param $rstd i32) (param $out i32) (param $eps f64)
    (local $r i32) (local $c i32) (local $o i32) (local $mean f64) (local $var f64) (local $s f64) (local $delta f64) (local $xh f64) (local $hf f64)
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
        (local.set $mean
          (f64.const 0))
        (local.set $c
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $H)))
            (local.set $mean
              (f64.add
                (local.get $mean)
                (f64.promote_f32
                  (f32.load
                    (i32.add
                      (i32.add
                        (local.get $x)
                        (local.get $o))
                      (i32.shl
                        (local.get $c)
                        (i32.const 2)))))))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L3)))
        (local.set $mean
          (f64.div
            (local.get $mean)
            (local.get $hf)))
        (local.set $var
          (f64.const 0))
        (local.set $c
          (i32.const 0))
        (block $B4
          (loop $L5
            (br_if $B4
              (i32.ge_u
                (local.get $c)
                (local.get $H)))
            (local.set $var
              (f64.add
                (f64.mul
                  (local.tee $delta
                    (f64.sub
                      (f64.promote_f32
                        (f32.load
                          (i32.add
                            (i32.add
                              (local.get $x)
                              (local.get $o))
                            (i32.shl
                              (local.get $c)
                              (i32.const 2)))))
                      (local.get $mean)))
                  (local.get $delta))
                (local.get $var)))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L5)))
        (local.set $s
          (f64.div
            (f64.const 1)
            (f64.sqrt
              (f64.add
                (f64.div
                  (local.get $var)
                  (local.get $hf))
                (local.get $eps)))))
        (f32.store
          (i32.add
            (local.get $rstd)
            (i32.shl
              (local.get $r)
              (i32.const 2)))
          (f32.demote_f64
            (local.get $s)))
        (local.set $c
          (i32.const 0))
        (block $B6
          (loop $L7
            (br_if $B6
              (i32.ge_u
                (local.get $c)
                (local.get $H)))
            (local.set $xh
              (f64.mul
                (f64.sub
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (i32.add
                          (local.get $x)
                          (local.get $o))
                        (i32.shl
                          (local.get $c)
                          (i32.const 2)))))
                  (local.get $mean))
                (local.get $s)))
            (f32.store
              (i32.add
                (i32.add
                  (local.get $xhat)
                  (local.get $o))
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (local.get $xh)))
            (f32.store
              (i32.add
                (i32.add
                  (local.get $out)
                  (local.get $o))
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (f64.add
                  (f64.mul
                    (local.get $xh)
                    (f64.promote_f32
                      (f32.load
                        (i32.add
                          (local.get $gamma)
                          (i32.shl
                            (local.get $c)
                            (i32.const 2))))))
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (local.get $beta)
                        (i32.shl
                          (local.get $c)
                          (i32.const 2))))))))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L7)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 1)))
        (br $L1)))))
