;; colSums(src, n, width, dst): dst[c] += Σ_r src[r, c] in row order (ops/array-kernels.ts addColumnSums).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $colSums (export "colSums") (type $kernel) (param $src i32) (param $n i32) (param $width i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $ps i32)
    (local.set $ps
      (local.get $src))
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
              (i32.add
                (local.get $dst)
                (i32.shl
                  (local.get $c)
                  (i32.const 2)))
              (f32.demote_f64
                (f64.add
                  (f64.promote_f32
                    (f32.load
                      (i32.add
                        (local.get $dst)
                        (i32.shl
                          (local.get $c)
                          (i32.const 2)))))
                  (f64.promote_f32
                    (f32.load
                      (local.get $ps))))))
            (local.set $ps
              (i32.add
                (local.get $ps)
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
