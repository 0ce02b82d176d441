;; addRowBias(src, bias, n, width, dst): dst = f32(src + bias) row by row (ops/array-kernels.ts addRowBias).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $addRowBias (export "addRowBias") (type $kernel) (param $src i32) (param $bias i32) (param $n i32) (param $width i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $ps i32) (local $pd i32)
    (local.set $ps
      (local.get $src))
    (local.set $pd
      (local.get $dst))
    (local.set $r
      (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $n)))
        (local.set $c
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $width)))
            (f32.store
              (local.get $pd)
              (f32.demote_f64
                (f64.add
                  (f64.promote_f32
                    (f32.load
                      (local.get $ps)))
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (local.get $bias)
                        (i32.shl
                          (local.get $c)
                          (i32.const 2))))))))
            (local.set $ps
              (i32.add
                (local.get $ps)
                (i32.const 4)))
            (local.set $pd
              (i32.add
                (local.get $pd)
                (i32.const 4)))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L3)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 1)))
        (br $L1)))))
