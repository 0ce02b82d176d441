;; transpose with 4×4 blocks in SIMD registers (four 16-byte loads, eight i8x16.shuffle, four 16-byte stores) for
;; cols a multiple of 4; rows past the last multiple of 4 are copied one element at a time.
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $transpose4 (export "transpose4") (type $kernel) (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $srcRowBytes i32) (local $dstRowBytes i32) (local $ps i32) (local $pd i32) (local $rows4 i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $srcRowBytes
      (i32.shl
        (local.get $cols)
        (i32.const 2)))
    (local.set $dstRowBytes
      (i32.shl
        (local.get $rows)
        (i32.const 2)))
    (local.set $rows4
      (i32.and
        (local.get $rows)
        (i32.const -4)))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $r)
            (local.get $rows4)))
        (local.set $c
          (i32.const 0))
        (block $B2
          (loop $L3
            (br_if $B2
              (i32.ge_u
                (local.get $c)
                (local.get $cols)))
            (local.set $ps
              (i32.add
                (local.get $src)
                (i32.shl
                  (i32.add
                    (i32.mul
                      (local.get $r)
                      (local.get $cols))
                    (local.get $c))
                  (i32.const 2))))
            (local.set $pd
              (i32.add
                (local.get $dst)
                (i32.shl
                  (i32.add
                    (i32.mul
                      (local.get $c)
                      (local.get $rows))
                    (local.get $r))
                  (i32.const 2))))
            (local.set $v0
              (v128.load align=1
                (local.get $ps)))
            (local.set $v1
              (v128.load align=1
                (i32.add
                  (local.get $ps)
                  (i32.mul
                    (local.get $srcRowBytes)
                    (i32.const 1)))))
            (local.set $v2
              (v128.load align=1
                (i32.add
                  (local.get $ps)
                  (i32.mul
                    (local.get $srcRowBytes)
                    (i32.const 2)))))
            (local.set $v3
              (v128.load align=1
                (i32.add
                  (local.get $ps)
                  (i32.mul
                    (local.get $srcRowBytes)
                    (i32.const 3)))))
            (local.set $t0
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $v0)
                (local.get $v1)))
            (local.set $t1
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $v0)
                (local.get $v1)))
            (local.set $t2
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
                (local.get $v2)
                (local.get $v3)))
            (local.set $t3
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
                (local.get $v2)
                (local.get $v3)))
            (v128.store align=1
              (local.get $pd)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $t0)
                (local.get $t2)))
            (v128.store align=1
              (i32.add
                (local.get $pd)
                (i32.mul
                  (local.get $dstRowBytes)
                  (i32.const 1)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $t0)
                (local.get $t2)))
            (v128.store align=1
              (i32.add
                (local.get $pd)
                (i32.mul
                  (local.get $dstRowBytes)
                  (i32.const 2)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get $t1)
                (local.get $t3)))
            (v128.store align=1
              (i32.add
                (local.get $pd)
                (i32.mul
                  (local.get $dstRowBytes)
                  (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                (local.get $t1)
                (local.get $t3)))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 4)))
            (br $L3)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 4)))
        (br $L1)))
    (block $B4
      (loop $L5
        (br_if $B4
          (i32.ge_u
            (local.get $r)
            (local.get $rows)))
        (local.set $c
          (i32.const 0))
        (block $B6
          (loop $L7
            (br_if $B6
              (i32.ge_u
                (local.get $c)
                (local.get $cols)))
            (i32.store
              (i32.add
                (local.get $dst)
                (i32.shl
                  (i32.add
                    (i32.mul
                      (local.get $c)
                      (local.get $rows))
                    (local.get $r))
                  (i32.const 2)))
              (i32.load
                (i32.add
                  (local.get $src)
                  (i32.shl
                    (i32.add
                      (i32.mul
                        (local.get $r)
                        (local.get $cols))
                      (local.get $c))
                    (i32.const 2)))))
            (local.set $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (br $L7)))
        (local.set $r
          (i32.add
            (local.get $r)
            (i32.const 1)))
        (br $L5)))))
