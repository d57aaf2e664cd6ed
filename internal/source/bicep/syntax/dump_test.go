package syntax

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// dumpFile renders a syntax tree as indented text for golden files: one
// node per line with its kind and extent, then its fields.
func dumpFile(f *File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "File %s lines=%d comments=%d\n", f.Name, f.Lines, len(f.Comments))
	for _, d := range f.Decls {
		dumpValue(&b, 1, "", reflect.ValueOf(d))
	}
	return b.String()
}

var nodeType = reflect.TypeFor[Node]()

func dumpValue(b *strings.Builder, depth int, label string, v reflect.Value) {
	indent := strings.Repeat("  ", depth)
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		if n, ok := v.Interface().(Node); ok && v.Elem().Kind() == reflect.Struct {
			dumpNode(b, depth, label, v.Elem(), n)
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			dumpValue(b, depth, fmt.Sprintf("%s[%d]", label, i), v.Index(i))
		}
	case reflect.String:
		fmt.Fprintf(b, "%s%s: %s\n", indent, label, strconv.Quote(v.String()))
	case reflect.Bool:
		if v.Bool() {
			fmt.Fprintf(b, "%s%s: true\n", indent, label)
		}
	case reflect.Int64, reflect.Int, reflect.Uint8:
		fmt.Fprintf(b, "%s%s: %v\n", indent, label, v.Interface())
	case reflect.Struct:
		dumpFields(b, depth, v)
	}
}

func dumpNode(b *strings.Builder, depth int, label string, v reflect.Value, n Node) {
	indent := strings.Repeat("  ", depth)
	if label != "" {
		label += ": "
	}
	head := fmt.Sprintf("%s%s%s %s-%s", indent, label, v.Type().Name(), n.Pos(), n.End())
	switch x := n.(type) {
	case *Ident:
		fmt.Fprintf(b, "%s %q\n", head, x.Name)
		return
	case *IntLit:
		fmt.Fprintf(b, "%s %d\n", head, x.Value)
		return
	case *BoolLit:
		fmt.Fprintf(b, "%s %t\n", head, x.Value)
		return
	case *UnaryExpr:
		fmt.Fprintf(b, "%s %s\n", head, x.Op)
		dumpValue(b, depth+1, "X", reflect.ValueOf(x.X))
		return
	case *BinaryExpr:
		fmt.Fprintf(b, "%s %s\n", head, x.Op)
		dumpValue(b, depth+1, "X", reflect.ValueOf(x.X))
		dumpValue(b, depth+1, "Y", reflect.ValueOf(x.Y))
		return
	}
	fmt.Fprintln(b, head)
	dumpFields(b, depth+1, v)
}

func dumpFields(b *strings.Builder, depth int, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "Span" || !f.IsExported() && !f.Anonymous {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous {
			dumpFields(b, depth, fv)
			continue
		}
		if fv.Kind() == reflect.Interface && !fv.IsNil() && fv.Elem().Type().Implements(nodeType) {
			dumpValue(b, depth, f.Name, fv)
			continue
		}
		dumpValue(b, depth, f.Name, fv)
	}
}
