//go:build unix

package arm

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// RootDirs resolved once give every input the ReadRoot it had when each
// input resolved them: the named trees, their link targets, and the
// input's own default root (the nearest git repository, else its
// directory) and its link target, the same whether the directories'
// facts are learnt or remembered.
func TestRootDirsFor(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, d := range []string{"tree/repo/.git", "tree/repo/app", "real"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "real"), filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	named := []string{filepath.Join(base, "tree"), filepath.Join(base, "link")}
	roots := ResolveRootDirs(named)
	for _, tc := range []struct {
		input string
		want  []string
	}{
		{filepath.Join(base, "tree/repo/app/main.bicep"), []string{filepath.Join(base, "tree"), filepath.Join(base, "link"), filepath.Join(base, "real"), filepath.Join(base, "tree/repo")}},
		{filepath.Join(base, "real/x.json"), []string{filepath.Join(base, "tree"), filepath.Join(base, "link"), filepath.Join(base, "real"), filepath.Join(base, "real")}},
		{filepath.Join(base, "link/x.json"), []string{filepath.Join(base, "tree"), filepath.Join(base, "link"), filepath.Join(base, "real"), filepath.Join(base, "link"), filepath.Join(base, "real")}},
		{filepath.Join(base, "tree/repo/app"), []string{filepath.Join(base, "tree"), filepath.Join(base, "link"), filepath.Join(base, "real"), filepath.Join(base, "tree/repo")}},
	} {
		got := roots.For(tc.input).Dirs()
		if !slices.Equal(got, tc.want) {
			t.Errorf("For(%s) = %v, want %v", tc.input, got, tc.want)
		}
		if again := roots.For(tc.input).Dirs(); !slices.Equal(again, got) {
			t.Errorf("For(%s) = %v, then %v from what it remembered", tc.input, got, again)
		}
	}
	if len(roots.For(filepath.Join(base, "tree/x.bicep")).Dirs()) != 4 || len(roots.dirs) != 3 {
		t.Errorf("For changed the resolved directories: %v", roots.dirs)
	}
}
