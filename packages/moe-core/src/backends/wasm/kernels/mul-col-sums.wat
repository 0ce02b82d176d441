;; mulColSums(a, b, n, width, dst): in place a[i] = f32(a[i]·b[i]) over n rows of `width`, and
;; dst[c] = f32(dst[c] + a[i]·b[i]) with the unrounded float64 product, as ops/array-kernels.ts mulAndColumnSums.
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $mulColSums (export "mulColSums") (type $kernel) (param $a i32) (param $b i32) (param $n i32) (param $width i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $pa i32) (local $pb i32) (local $pd i32) (local $v f64)
    (local.set $pa
      (local.get $a))
    (local.set $pb
      (local.get $b))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $n)))
        (local.set $c
          (i32.const 0))
        (local.set $pd
          (local.get $dst))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $width)))
            (local.set $v
              (f64.mul
                (f64.promote_f32
                  (f32.load
                    (local.get $pa)))
                (f64.promote_f32
                  (f32.load
                    (local.get $pb)))))
            (f32.store
              (local.get $pa)
              (f32.demote_f64
                (local.get $v)))
            (f32.store
              (local.get $pd)
              (f32.demote_f64
                (f64.add
                  (f64.promote_f32
                    (f32.load
                      (local.get $pd)))
                  (local.get $v))))
            (local.set $pa
              (i32.add
                (local.get $pa)
                (i32.const 4)))
            (local.set $pb
              (i32.add
                (local.get $pb)
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
