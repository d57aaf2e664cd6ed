package funcs

import (
	"errors"
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// LengthFunc is Terraform's length: characters (grapheme clusters) of a
// string, elements of a collection. go-cty splits these into strlen and
// length; Terraform accepts both in one function.
var LengthFunc = function.New(&function.Spec{
	Params: []function.Parameter{{
		Name: "value", Type: cty.DynamicPseudoType,
		AllowDynamicType: true, AllowUnknown: true, AllowMarked: true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String || ty == cty.DynamicPseudoType:
			return cty.Number, nil
		case ty.IsListType() || ty.IsSetType() || ty.IsMapType() || ty.IsTupleType() || ty.IsObjectType():
			return cty.Number, nil
		}
		return cty.Number, errors.New("argument must be a string, a collection type, or a structural type")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, marks := args[0].Unmark()
		if v.Type() == cty.String {
			if !v.IsKnown() {
				return cty.UnknownVal(cty.Number).WithMarks(marks), nil
			}
			if v.IsNull() {
				return cty.NilVal, errors.New("argument must not be null")
			}
			n, err := graphemes(v.AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.NumberIntVal(int64(n)).WithMarks(marks), nil
		}
		if !v.IsKnown() || v.Type() == cty.DynamicPseudoType {
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		}
		if v.Type().IsObjectType() {
			return cty.NumberIntVal(int64(len(v.Type().AttributeTypes()))).WithMarks(marks), nil
		}
		r, err := stdlib.Length(v)
		return r.WithMarks(marks), err
	},
})

func boolList(args []cty.Value) (elems []cty.Value, unknown bool, err error) {
	v := args[0]
	if !v.IsKnown() {
		return nil, true, nil
	}
	if v.IsNull() {
		return nil, false, errors.New("argument must not be null")
	}
	lv, err := convert.Convert(v, cty.List(cty.Bool))
	if err != nil {
		return nil, false, err
	}
	if !lv.IsKnown() {
		return nil, true, nil
	}
	return lv.AsValueSlice(), false, nil
}

var boolListParam = []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true}}

// AllTrueFunc is alltrue: true when every element is true (and for an
// empty list). A known false decides the result even beside unknowns.
var AllTrueFunc = function.New(&function.Spec{
	Params: boolListParam,
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		elems, unknown, err := boolList(args)
		if err != nil || unknown {
			return cty.UnknownVal(cty.Bool), err
		}
		sawUnknown := false
		for _, e := range elems {
			switch {
			case !e.IsKnown():
				sawUnknown = true
			case e.IsNull() || e.False():
				return cty.False, nil
			}
		}
		if sawUnknown {
			return cty.UnknownVal(cty.Bool), nil
		}
		return cty.True, nil
	},
})

// AnyTrueFunc is anytrue: true when any element is true.
var AnyTrueFunc = function.New(&function.Spec{
	Params: boolListParam,
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		elems, unknown, err := boolList(args)
		if err != nil || unknown {
			return cty.UnknownVal(cty.Bool), err
		}
		sawUnknown := false
		for _, e := range elems {
			switch {
			case !e.IsKnown():
				sawUnknown = true
			case !e.IsNull() && e.True():
				return cty.True, nil
			}
		}
		if sawUnknown {
			return cty.UnknownVal(cty.Bool), nil
		}
		return cty.False, nil
	},
})

// OneFunc is one: null for an empty collection, its element for a
// collection of one, an error for more.
var OneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.DynamicPseudoType, nil
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			ets := ty.TupleElementTypes()
			switch len(ets) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return ets[0], nil
			}
			return cty.NilType, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
		}
		return cty.NilType, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		v := args[0]
		if !v.IsKnown() {
			return cty.UnknownVal(retType), nil
		}
		if v.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
		}
		switch v.LengthInt() {
		case 0:
			return cty.NullVal(retType), nil
		case 1:
			return v.AsValueSlice()[0], nil
		}
		return cty.NilVal, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
})

// SumFunc is sum: the total of a non-empty collection of numbers.
var SumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		if !ty.IsListType() && !ty.IsSetType() && !ty.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple")
		}
		if v.LengthInt() == 0 {
			return cty.NilVal, function.NewArgErrorf(0, "cannot sum an empty list")
		}
		total := cty.Zero
		for _, e := range v.AsValueSlice() {
			if !e.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			n, err := convert.Convert(e, cty.Number)
			if err != nil || n.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "every element must be a number")
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

// IndexFunc is Terraform's index(list, value): the position of the first
// element equal to value (go-cty's index means something else).
var IndexFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		ty := args[0].Type()
		if !ty.IsListType() && !ty.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must be a list or tuple")
		}
		for i, e := range args[0].AsValueSlice() {
			eq := e.Equals(args[1])
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return cty.NumberIntVal(int64(i)), nil
			}
		}
		return cty.NilVal, errors.New("item not found")
	},
})

// MatchkeysFunc is matchkeys(values, keys, searchset).
var MatchkeysFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "values", Type: cty.List(cty.DynamicPseudoType)},
		{Name: "keys", Type: cty.List(cty.DynamicPseudoType)},
		{Name: "searchset", Type: cty.List(cty.DynamicPseudoType)},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		return args[0].Type(), nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		if args[0].LengthInt() != args[1].LengthInt() {
			return cty.NilVal, errors.New("length of keys and values should be equal")
		}
		vals := args[0].AsValueSlice()
		keys := args[1].AsValueSlice()
		search := args[2].AsValueSlice()
		var out []cty.Value
		for i, k := range keys {
			for _, s := range search {
				eq := k.Equals(s)
				if !eq.IsKnown() {
					return cty.UnknownVal(retType), nil
				}
				if eq.True() {
					out = append(out, vals[i])
					break
				}
			}
		}
		if len(out) == 0 {
			return cty.ListValEmpty(retType.ElementType()), nil
		}
		return cty.ListVal(out), nil
	},
})

// TransposeFunc is transpose(map(list(string))).
var TransposeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "values", Type: cty.Map(cty.List(cty.String))}},
	Type:   function.StaticReturnType(cty.Map(cty.List(cty.String))),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		out := map[string][]string{}
		for it := args[0].ElementIterator(); it.Next(); {
			k, list := it.Element()
			if !list.IsKnown() {
				return cty.UnknownVal(cty.Map(cty.List(cty.String))), nil
			}
			for _, v := range list.AsValueSlice() {
				if !v.IsKnown() {
					return cty.UnknownVal(cty.Map(cty.List(cty.String))), nil
				}
				if v.IsNull() {
					return cty.NilVal, errors.New("lists must not contain null values")
				}
				out[v.AsString()] = append(out[v.AsString()], k.AsString())
			}
		}
		res := make(map[string]cty.Value, len(out))
		for k, vs := range out {
			sort.Strings(vs)
			elems := make([]cty.Value, len(vs))
			for i, s := range vs {
				elems[i] = cty.StringVal(s)
			}
			res[k] = cty.ListVal(elems)
		}
		if len(res) == 0 {
			return cty.MapValEmpty(cty.List(cty.String)), nil
		}
		return cty.MapVal(res), nil
	},
})

func argString(v cty.Value, i int) (string, error) {
	if v.IsNull() {
		return "", function.NewArgErrorf(i, "argument must not be null")
	}
	if v.Type() != cty.String {
		return "", function.NewArgErrorf(i, "argument must be a string, not %s", v.Type().FriendlyName())
	}
	return v.AsString(), nil
}

// maxProduct bounds the elements setproduct may build: three range(1024)
// would otherwise give a billion.
const maxProduct = 100_000

// SetProductFunc is setproduct, refusing a product of more than
// maxProduct elements before building it.
var SetProductFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "sets", Type: cty.DynamicPseudoType, AllowMarked: true, AllowUnknown: true},
	Type:     stdlib.SetProductFunc.ReturnTypeForValues,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		total := 1
		for _, a := range args {
			v, _ := a.Unmark()
			if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
				continue
			}
			total *= max(v.LengthInt(), 1)
			if total > maxProduct {
				return cty.NilVal, fmt.Errorf("setproduct would give more than %d elements; kvguard does not build it", maxProduct)
			}
		}
		return stdlib.SetProductFunc.Call(args)
	},
})
