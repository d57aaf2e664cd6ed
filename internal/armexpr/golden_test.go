package armexpr

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/kvguard/kvguard/internal/resource"
)

// testEnv is the environment golden expressions run in.
func testEnv(now time.Time) *Env {
	params := map[string]any{
		"str":     "hello",
		"int":     int64(42),
		"obj":     map[string]any{"name": "x", "nested": map[string]any{"x": int64(1)}},
		"arr":     []any{"a", "b", "c"},
		"unknown": resource.Unknown{Expr: "parameters('unknown')"},
		"null":    nil,
	}
	d := DefaultDeployment()
	d.Now = now
	return &Env{
		Deployment: d,
		Parameter: func(name string) (any, error) {
			if v, ok := params[name]; ok {
				return v, nil
			}
			return nil, fmt.Errorf("the template has no parameter %q", name)
		},
		Variable: func(name string) (any, error) {
			if name == "a" {
				return "A", nil
			}
			return nil, fmt.Errorf("the template has no variable %q", name)
		},
		CopyIndex: func(loop string, offset int) (any, error) {
			switch strings.ToLower(loop) {
			case "":
				return int64(2 + offset), nil
			case "inner":
				return int64(1 + offset), nil
			}
			return nil, fmt.Errorf("there is no copy loop named %q here", loop)
		},
		UserFunc: func(ns, name string, args []any) (any, error) {
			if ns == "contoso" && name == "double" && len(args) == 1 {
				n, _ := asInt(args[0])
				return n * 2, nil
			}
			return nil, fmt.Errorf("unknown user-defined function %s.%s", ns, name)
		},
	}
}

// render writes a result for a golden file: JSON (unknowns as
// {"$unknown": ...}), or the error.
func render(v any, err error) string {
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return fmt.Sprintf("error at column %d: %s", ae.Column(), ae.Msg)
		}
		return "error: " + err.Error()
	}
	switch x := v.(type) {
	case Lambda:
		return "lambda(" + strings.Join(x.Params, ", ") + ")"
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		return fmt.Sprintf("unrenderable %T: %v", v, merr)
	}
	return string(b)
}

// TestGolden evaluates every expression in testdata/TestGolden/*.txt and
// compares the results with the .golden files (go test -update rewrites
// them).
func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var now time.Time
			if name == "dates" {
				now = time.Date(2026, 3, 1, 12, 34, 56, 0, time.UTC)
			}
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				line := sc.Text()
				if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
					continue
				}
				v, err := EvalString(testEnv(now), line)
				fmt.Fprintf(&out, "%s\n  => %s\n", line, render(v, err))
			}
			goldenPath := filepath.Join("testdata", "TestGolden", name+".golden")
			goldenfile.Check(t, goldenPath, out.Bytes())
		})
	}
}
