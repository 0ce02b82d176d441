;; Adam update of optim/typed-adam.ts on two float32 values per iteration, promoted to float64x2 lanes: every
;; operation is the JavaScript loop's IEEE operation in the same order, rounded to float32 on store (bit-identical).
;; adam(w, g, m, v, out, pairs, b1, c1, b2, c2, eps, step): byte addresses, pairs = elements / 2;
;; m = b1·m + c1·g; v = b2·v + (c2·g)·g; out = w − (step·m) / (√v + eps).
;; Assembled at build time by scripts/assemble-wasm.mjs (wabt); imports the tfjs-backend-wasm memory.
(module
  (type $kernel (func (param i32 i32 i32 i32 i32 i32 f64 f64 f64 f64 f64 f64)))
  (import "env" "memory" (memory 1))
  (func $adam (export "adam") (type $kernel) (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $out i32) (param $pairs i32) (param $b1 f64) (param $c1 f64) (param $b2 f64) (param $c2 f64) (param $eps f64) (param $step f64)
    (local $i i32) (local $off i32) (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128) (local $STEP v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local.set $B1
      (f64x2.splat
        (local.get $b1)))
    (local.set $C1
      (f64x2.splat
        (local.get $c1)))
    (local.set $B2
      (f64x2.splat
        (local.get $b2)))
    (local.set $C2
      (f64x2.splat
        (local.get $c2)))
    (local.set $EPS
      (f64x2.splat
        (local.get $eps)))
    (local.set $STEP
      (f64x2.splat
        (local.get $step)))
    (block $B0
      (loop $L1
        (br_if $B0
          (i32.ge_u
            (local.get $i)
            (local.get $pairs)))
        (local.set $off
          (i32.shl
            (local.get $i)
            (i32.const 3)))
        (local.set $gi
          (f64x2.promote_low_f32x4
            (v128.load64_zero align=1
              (i32.add
                (local.get $g)
                (local.get $off)))))
        (local.set $mi
          (f64x2.add
            (f64x2.mul
              (local.get $B1)
              (f64x2.promote_low_f32x4
                (v128.load64_zero align=1
                  (i32.add
                    (local.get $m)
                    (local.get $off)))))
            (f64x2.mul
              (local.get $C1)
              (local.get $gi))))
        (v128.store64_lane align=1 0
          (i32.add
            (local.get $m)
            (local.get $off))
          (f32x4.demote_f64x2_zero
            (local.get $mi)))
        (local.set $vi
          (f64x2.add
            (f64x2.mul
              (local.get $B2)
              (f64x2.promote_low_f32x4
                (v128.load64_zero align=1
                  (i32.add
                    (local.get $v)
                    (local.get $off)))))
            (f64x2.mul
              (f64x2.mul
                (local.get $C2)
                (local.get $gi))
              (local.get $gi))))
        (v128.store64_lane align=1 0
          (i32.add
            (local.get $v)
            (local.get $off))
          (f32x4.demote_f64x2_zero
            (local.get $vi)))
        (v128.store64_lane align=1 0
          (i32.add
            (local.get $out)
            (local.get $off))
          (f32x4.demote_f64x2_zero
            (f64x2.sub
              (f64x2.promote_low_f32x4
                (v128.load64_zero align=1
                  (i32.add
                    (local.get $w)
                    (local.get $off))))
              (f64x2.div
                (f64x2.mul
                  (local.get $STEP)
                  (local.get $mi))
                (f64x2.add
                  (f64x2.sqrt
                    (local.get $vi))
                  (local.get $EPS))))))
        (local.set $i
          (i32.add
            (local.get $i)
            (i32.const 1)))
        (br $L1)))))
