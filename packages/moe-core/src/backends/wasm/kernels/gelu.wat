;; GELU of ops/gelu.ts `geluForward`: out[i] = gelu(values[i] + bias[i mod width]) and deriv[i] = gelu'(same),
;; from the float64 Φ/φ tables at `cdf`/`pdf` (range ±10, 2048 steps per unit, linear interpolation), with the
;; same float64 operations in the same order as the JavaScript loop (bit-identical). Byte addresses.
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory 1))
  (func $gelu (export "gelu") (type $kernel) (param $values i32) (param $bias i32) (param $out i32) (param $deriv i32) (param $n i32) (param $width i32) (param $cdf i32) (param $pdf i32)
    (local $i i32) (local $c i32) (local $j i32) (local $t i32) (local $x f64) (local $phi f64) (local $dens f64) (local $pos f64) (local $f f64) (local $c0 f64)
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $i)
            (local.get $n)))
        (local.set $x
          (f64.add
            (f64.promote_f32
              (f32.load
                (i32.add
                  (local.get $values)
                  (i32.shl
                    (local.get $i)
                    (i32.const 2)))))
            (f64.promote_f32
              (f32.load
                (i32.add
                  (local.get $bias)
                  (i32.shl
                    (local.get $c)
                    (i32.const 2)))))))
        (if $I2
          (i32.eq
            (local.tee $c
              (i32.add
                (local.get $c)
                (i32.const 1)))
            (local.get $width))
          (then
            (local.set $c
              (i32.const 0))))
        (if $I3
          (f64.le
            (local.get $x)
            (f64.const -10))
          (then
            (local.set $phi
              (f64.const 0))
            (local.set $dens
              (f64.const 0)))
          (else
            (if $I4
              (f64.ge
                (local.get $x)
                (f64.const 10))
              (then
                (local.set $phi
                  (f64.const 1))
                (local.set $dens
                  (f64.const 0)))
              (else
                (local.set $j
                  (i32.trunc_sat_f64_s
                    (local.tee $pos
                      (f64.mul
                        (f64.add
                          (local.get $x)
                          (f64.const 10))
                        (f64.const 2048)))))
                (local.set $f
                  (f64.sub
                    (local.get $pos)
                    (f64.convert_i32_s
                      (local.get $j))))
                (local.set $phi
                  (f64.add
                    (local.tee $c0
                      (f64.load
                        (local.tee $t
                          (i32.add
                            (local.get $cdf)
                            (i32.shl
                              (local.get $j)
                              (i32.const 3))))))
                    (f64.mul
                      (local.get $f)
                      (f64.sub
                        (f64.load offset=8
                          (local.get $t))
                        (local.get $c0)))))
                (local.set $dens
                  (f64.add
                    (local.tee $c0
                      (f64.load
                        (local.tee $t
                          (i32.add
                            (local.get $pdf)
                            (i32.shl
                              (local.get $j)
                              (i32.const 3))))))
                    (f64.mul
                      (local.get $f)
                      (f64.sub
                        (f64.load offset=8
                          (local.get $t))
                        (local.get $c0)))))))))
        (f32.store
          (i32.add
            (local.get $out)
            (i32.shl
              (local.get $i)
              (i32.const 2)))
          (f32.demote_f64
            (f64.mul
              (local.get $x)
              (local.get $phi))))
        (f32.store
          (i32.add
            (local.get $deriv)
            (i32.shl
              (local.get $i)
              (i32.const 2)))
          (f32.demote_f64
            (f64.add
              (local.get $phi)
              (f64.mul
                (local.get $x)
                (local.get $dens)))))
        (local.set $i
          (i32.add
            (local.get $i)
            (i32.const 1)))
        (br $L1)))))
