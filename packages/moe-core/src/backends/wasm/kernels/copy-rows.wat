;; copyRows(src, srcStride, dst, dstStride, rows, bytes): `rows` copies of `bytes` bytes (memory.copy).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $copyRows (export "copyRows") (type $kernel) (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $rows i32) (param $bytes i32)
    (local $r i32)
    (local.set $r
      (i32.const 0))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $rows)))
        (memory.copy
          (i32.add
            (local.get $dst)
            (i32.mul
              (local.get $r)
              (local.get $dstStride)))
          (i32.add
            (local.get $src)
            (i32.mul
              (local.get $r)
              (local.get $srcStride)))
          (local.get $bytes))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 1)))
        (br $L1)))))
