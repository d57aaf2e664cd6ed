package syntax

// Walk calls fn for n and, while fn returns true, for every expression
// below it, depth first, in source order. Nested resource declarations in
// an object are visited too.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	walk := func(ns ...Node) {
		for _, c := range ns {
			if c != nil {
				Walk(c, fn)
			}
		}
	}
	switch x := n.(type) {
	case *StringExpr:
		for _, e := range x.Exprs {
			walk(e)
		}
	case *ArrayExpr:
		for _, it := range x.Items {
			walk(it.Value)
		}
	case *ObjectExpr:
		for _, it := range x.Items {
			walk(it)
		}
	case *ObjectProp:
		walk(x.Key, x.Value)
	case *ForExpr:
		walk(x.Iter, x.Body)
	case *IfExpr:
		walk(x.Cond)
		if x.Body != nil {
			walk(x.Body)
		}
	case *UnaryExpr:
		walk(x.X)
	case *BinaryExpr:
		walk(x.X, x.Y)
	case *TernaryExpr:
		walk(x.Cond, x.Then, x.Else)
	case *ParenExpr:
		walk(x.X)
	case *CallExpr:
		if x.Recv != nil {
			walk(x.Recv)
		}
		for _, a := range x.Args {
			walk(a)
		}
	case *PropertyExpr:
		walk(x.X)
	case *IndexExpr:
		walk(x.X, x.Index)
	case *ResourceAccessExpr:
		walk(x.X)
	case *NonNullExpr:
		walk(x.X)
	case *LambdaExpr:
		walk(x.Body)
	case *ResourceDecl:
		walk(x.Body)
	}
}
