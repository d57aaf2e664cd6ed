// Package funcs is the Terraform function library kvguard evaluates HCL
// with: the functions real Terraform code around Key Vaults calls, built on
// go-cty's stdlib where its semantics match Terraform's and written here
// where they do not (length of a string, index, replace with a /regex/,
// alltrue, one, cidrsubnet, file, templatefile, ...).
//
// Functions whose result Terraform only knows at apply time (timestamp,
// plantimestamp, uuid, bcrypt) return unknown values, so that an expiry
// computed from timestamp() is reported as unknown, never guessed. File
// functions read only files the caller allows (kvguard never reads outside
// the scanned tree) and return unknown for anything else.
//
// The package imports nothing of kvguard's.
package funcs

import (
	"sync"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Options configures the file functions of a table.
type Options struct {
	// BaseDir is where relative paths given to file functions are
	// resolved: Terraform resolves them against its working directory,
	// which is the root module's directory.
	BaseDir string
	// Allowed reports whether the file at the absolute, cleaned path may be
	// read. Nil allows nothing: every file function then returns unknown.
	Allowed func(abs string) bool
	// MaxFileBytes bounds one file read; 0 means 4 MiB.
	MaxFileBytes int64
}

func (o Options) maxBytes() int64 {
	if o.MaxFileBytes > 0 {
		return o.MaxFileBytes
	}
	return 4 << 20
}

// Table returns the functions by their Terraform names, the file
// functions bound to opts. The table is immutable once built and may be
// shared by the evaluations of one root module.
func Table(opts Options) map[string]function.Function {
	static := staticTable()
	t := make(map[string]function.Function, len(static)+16)
	for k, v := range static {
		t[k] = v
	}
	fs := fileFuncs{opts: opts}
	t["abspath"] = fs.abspath()
	t["basename"] = BasenameFunc
	t["dirname"] = DirnameFunc
	t["file"] = fs.read(encText)
	t["filebase64"] = fs.read(encB64)
	t["fileexists"] = fs.exists()
	t["fileset"] = fs.fileset()
	t["filemd5"] = fs.hash(md5Sum, encHex)
	t["filesha1"] = fs.hash(sha1Sum, encHex)
	t["filesha256"] = fs.hash(sha256Sum, encHex)
	t["filesha512"] = fs.hash(sha512Sum, encHex)
	t["filebase64sha256"] = fs.hash(sha256Sum, encB64)
	t["filebase64sha512"] = fs.hash(sha512Sum, encB64)
	// templatefile evaluates its template with this same table (without
	// templatefile itself, as Terraform does, to forbid recursion).
	t["templatefile"] = fs.templatefile(func() map[string]function.Function {
		inner := make(map[string]function.Function, len(t))
		for k, v := range t {
			if k != "templatefile" {
				inner[k] = v
			}
		}
		return inner
	})
	return t
}

var (
	staticOnce sync.Once
	static     map[string]function.Function
)

// staticTable holds the functions that read no file; built once, shared.
func staticTable() map[string]function.Function {
	staticOnce.Do(func() { static = buildStatic() })
	return static
}

func buildStatic() map[string]function.Function {
	return map[string]function.Function{
		// numeric
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"sum":      SumFunc,

		// string
		"chomp":       stdlib.ChompFunc,
		"endswith":    EndsWithFunc,
		"format":      stdlib.FormatFunc,
		"formatlist":  stdlib.FormatListFunc,
		"indent":      stdlib.IndentFunc,
		"join":        stdlib.JoinFunc,
		"lower":       stdlib.LowerFunc,
		"regex":       stdlib.RegexFunc,
		"regexall":    stdlib.RegexAllFunc,
		"replace":     ReplaceFunc,
		"split":       stdlib.SplitFunc,
		"startswith":  StartsWithFunc,
		"strcontains": StrContainsFunc,
		"strrev":      stdlib.ReverseFunc,
		"substr":      stdlib.SubstrFunc,
		"title":       stdlib.TitleFunc,
		"trim":        stdlib.TrimFunc,
		"trimprefix":  stdlib.TrimPrefixFunc,
		"trimspace":   stdlib.TrimSpaceFunc,
		"trimsuffix":  stdlib.TrimSuffixFunc,
		"upper":       stdlib.UpperFunc,

		// collection
		"alltrue":         AllTrueFunc,
		"anytrue":         AnyTrueFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"index":           IndexFunc,
		"keys":            stdlib.KeysFunc,
		"length":          LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"matchkeys":       MatchkeysFunc,
		"merge":           stdlib.MergeFunc,
		"one":             OneFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"transpose":       TransposeFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// encoding
		"base64decode": Base64DecodeFunc,
		"base64encode": Base64EncodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"urlencode":    URLEncodeFunc,

		// date and time
		"formatdate":    stdlib.FormatDateFunc,
		"plantimestamp": unknownFunc(cty.String),
		"timeadd":       stdlib.TimeAddFunc,
		"timecmp":       TimeCmpFunc,
		"timestamp":     unknownFunc(cty.String),

		// hash and crypto
		"base64sha256": hashFunc(sha256Sum, encB64),
		"base64sha512": hashFunc(sha512Sum, encB64),
		"bcrypt":       unknownFunc(cty.String),
		"md5":          hashFunc(md5Sum, encHex),
		"sha1":         hashFunc(sha1Sum, encHex),
		"sha256":       hashFunc(sha256Sum, encHex),
		"sha512":       hashFunc(sha512Sum, encHex),
		"uuid":         unknownFunc(cty.String),
		"uuidv5":       UUIDv5Func,

		// network
		"cidrhost":    CidrHostFunc,
		"cidrnetmask": CidrNetmaskFunc,
		"cidrsubnet":  CidrSubnetFunc,
		"cidrsubnets": CidrSubnetsFunc,

		// type conversion
		"can":             tryfunc.CanFunc,
		"ephemeralasnull": identityFunc,
		"issensitive":     IsSensitiveFunc,
		"nonsensitive":    identityFunc,
		"sensitive":       identityFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"try":             tryfunc.TryFunc,
	}
}

// unknownFunc returns a function whose value Terraform only learns at
// apply time, whatever its arguments.
func unknownFunc(ty cty.Type) function.Function {
	return function.New(&function.Spec{
		VarParam: &function.Parameter{
			Name: "args", Type: cty.DynamicPseudoType,
			AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
		},
		Type: function.StaticReturnType(ty),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.UnknownVal(ty), nil
		},
	})
}

// identityFunc stands for sensitive, nonsensitive and ephemeralasnull:
// sensitivity changes how Terraform prints a value, not the value.
var identityFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return args[0], nil },
})

// IsSensitiveFunc is issensitive: kvguard tracks no sensitivity, so false.
var IsSensitiveFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
	}},
	Type: function.StaticReturnType(cty.Bool),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) { return cty.False, nil },
})
