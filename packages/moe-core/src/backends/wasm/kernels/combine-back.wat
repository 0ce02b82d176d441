;; Backward of combine: dGates[t, e] = Σ_c dy[t, c]·ys[pos, c] and dys[pos] = gate·dy[t]
;; (ops/array-kernels.ts combineGatedBackward, bit-identical).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $combineBack (export "combineBack") (type $kernel) (param $dy i32) (param $ys i32) (param $gates i32) (param $topk i32) (param $pairPos i32) (param $rows i32) (param $k i32) (param $E i32) (param $width i32) (param $dGates i32) (param $dys i32)
    (local $t i32) (local $j i32) (local $c i32) (local $tk i32) (local $e i32) (local $pg i32) (local $pp i32) (local $q i32) (local $p i32) (local $gate f64) (local $dot f64) (local $g f64)
    (local.set $t
      (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $t)
            (local.get $rows)))
        (local.set $pg
          (i32.add
            (local.get $dy)
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
            (local.set $e
              (i32.load
                (i32.add
                  (local.get $topk)
                  (i32.shl
                    (local.get $tk)
                    (i32.const 2)))))
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
                        (local.get $e))
                      (i32.const 2))))))
            (local.set $pp
              (i32.shl
                (i32.mul
                  (i32.load
                    (i32.add
                      (local.get $pairPos)
                      (i32.shl
                        (local.get $tk)
                        (i32.const 2))))
                  (local.get $width))
                (i32.const 2)))
            (local.set $dot
              (f64.const 0))
            (local.set $q
              (local.get $pg))
            (local.set $p
              (local.get $pp))
            (local.set $c
              (i32.const 0))
            (block $B4
              (loop $L5
                (br_if $B4
                  (i32.ge_u
                    (local.get $c)
                    (local.get $width)))
                (local.set $g
                  (f64.promote_f32
                    (f32.load
                      (local.get $q))))
                (local.set $dot
                  (f64.add
                    (local.get $dot)
                    (f64.mul
                      (local.get $g)
                      (f64.promote_f32
                        (f32.load
                          (i32.add
                            (local.get $ys)
                            (local.get $p)))))))
                (f32.store
                  (i32.add
                    (local.get $dys)
                    (local.get $p))
                  (f32.demote_f64
                    (f64.mul
                      (local.get $gate)
                      (local.get $g))))
                (local.set $q
                  (i32.add
                    (local.get $q)
                    (i32.const 4)))
                (local.set $p
                  (i32.add
                    (local.get $p)
                    (i32.const 4)))
                (local.set $c
                  (i32.add
                    (local.get $c)
                    (i32.const 1)))
                (br $L5)))
            (f32.store
              (i32.add
                (local.get $dGates)
                (i32.shl
                  (i32.add
                    (i32.mul
                      (local.get $t)
                      (local.get $E))
                    (local.get $e))
                  (i32.const 2)))
              (f32.demote_f64
                (local.get $dot)))
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
