;; combine(out, ys, gates, topk, pairPos, rows, k, E, width): out[t] += G[t, topk[t·k + j]]·ys[pairPos[t·k + j]]
;; for each token t and choice j (ops/array-kernels.ts combineGated, bit-identical).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $combine (export "combine") (type $kernel) (param $out i32) (param $ys i32) (param $gates i32) (param $topk i32) (param $pairPos i32) (param $rows i32) (param $k i32) (param $E i32) (param $width i32)
    (local $t i32) (local $j i32) (local $c i32) (local $tk i32) (local $pd i32) (local $ps i32) (local $po i32) (local $py i32) (local $gate f64)
    (local.set $t
      (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $t)
            (local.get $rows)))
        (local.set $pd
          (i32.add
            (local.get $out)
            (i32.shl
              (i32.mul
                (local.get $t)
                (local.get $width))
              (i32.const 2))))
        (local.set $j
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $j)
                (local.get $k)))
            (local.set $tk
              (i32.add
                (i32.mul
                  (local.get $t)
                  (local.get $k))
                (local.get $j)))
            (local.set $gate
              (f64.promote_f32
                (f32.load
                  (i32.add
                    (local.get $gates)
                    (i32.shl
                      (i32.add
                        (i32.mul
                          (local.get $t)
                          (local.get $E))
                        (i32.load
                          (i32.add
                            (local.get $topk)
                            (i32.shl
                              (local.get $tk)
                              (i32.const 2)))))
                      (i32.const 2))))))
            (local.set $ps
              (i32.add
                (local.get $ys)
                (i32.shl
                  (i32.mul
                    (i32.load
                      (i32.add
                        (local.get $pairPos)
                        (i32.shl
                          (local.get $tk)
                          (i32.const 2))))
                    (local.get $width))
                  (i32.const 2))))
            (local.set $po
              (local.get $pd))
            (local.set $py
              (local.get $ps))
            (local.set $c
              (i32.const 0))
            (block $B4
              (loop $L5
                (br_if $B4
                  (i32.ge_u
                    (local.get $c)
                    (local.get $width)))
                (f32.store
                  (local.get $po)
                  (f32.demote_f64
                    (f64.add
                      (f64.promote_f32
                        (f32.load
                          (local.get $po)))
                      (f64.mul
                        (local.get $gate)
                        (f64.promote_f32
                          (f32.load
                            (local.get $py)))))))
                (local.set $po
                  (i32.add
                    (local.get $po)
                    (i32.const 4)))
                (local.set $py
                  (i32.add
                    (local.get $py)
                    (i32.const 4)))
                (local.set $c
                  (i32.add
                    (local.get $c)
                    (i32.const 1)))
                (br $L5)))
            (local.set $j
              (i32.add
                (local.get $j)
                (i32.const 1)))
            (br $L3)))
        (local.set $t
          (i32.add
            (local.get $t)
            (i32.const 1)))
        (br $L1)))))
