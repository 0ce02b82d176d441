;; transpose(src, rows, cols, dst): dst[c·rows + r] = src[r·cols + c] (32-bit words copied as they are).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $transpose (export "transpose") (type $kernel) (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $s i32) (local $d i32) (local $stride i32)
    (local.set $stride
      (i32.shl
        (local.get $rows)
        (i32.const 2)))
    (local.set $s
      (local.get $src))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $rows)))
        (local.set $d
          (i32.add
            (local.get $dst)
            (i32.shl
              (local.get $r)
              (i32.const 2))))
        (local.set $c
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $cols)))
            (i32.store
              (local.get $d)
              (i32.load
                (local.get $s)))
            (local.set $s
              (i32.add
                (local.get $s)
                (i32.const 4)))
            (local.set $d
              (i32.add
                (local.get $d)
                (local.get $stride)))
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
