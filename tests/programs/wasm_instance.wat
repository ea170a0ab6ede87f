(module
  (memory 1)
  (global $count (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "bump") (result i32)
    global.get $count i32.const 1 i32.add global.set $count
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 10)))
    global.get $count)
  (func (export "stored") (result i32) (i32.load (i32.const 64)))
  (func (export "scale") (param f64 i64) (result f64) local.get 0 local.get 1 f64.convert_i64_s f64.mul)
  (func (export "divide") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "pair") (result i32 i64) i32.const 7 i64.const 8))
