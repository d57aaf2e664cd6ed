var ops = 1 + 2 * 3 - 4 / 5 % 6
var cmp = a < b && c >= d || !e == f
var insensitive = x =~ 'A' && y !~ 'b'
var ternary = cond ? 'yes' : 'no'
var multiTernary = cond
  ? 'yes'
  : 'no'
var coalesced = a ?? b ?? 'c'
var neg = -1
var access = obj.prop[0].?other[?1][^1]!
var child = kv::secret.properties
var call = sys.concat('a', az.resourceGroup().location)
var lambda = map(items, x => x.name)
var lambda2 = reduce(items, 0, (acc, x) => acc + x)
var loop = [for (x, i) in range(0, 3): {
  idx: i
  val: x
}]
var interp = 'a${b}c${d.e}f'
var escapes = 'it\'s \\ \n \t \u{1F600} \${literal}'
var multi = '''
line one
  line 'two'
'''
var multiInterp = $$'''
$${name} ${literal} $$${x}
'''
var obj = {
  plain: 1
  'quoted-key': 2
  '${dyn}': 3
  ...spread
  single: { a: 1, b: 2, }
}
var arr = [
  1
  'two'
  ...others
]
var inline = [1, 2, 3]
var call2 = concat(
  'abc',
  'def'
)
