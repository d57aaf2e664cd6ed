package live

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kvguard/kvguard/internal/atomicfile"
	"github.com/kvguard/kvguard/internal/resource"
)

// snapshotWriter streams a snapshot (docs/snapshot.md). Resources are
// written as they are read, to a temporary file, so that memory does not
// grow with the estate. When the scan ends, the header (which needs the
// summary) and the gaps are written first into a second temporary file,
// the resources are copied after them, and that file is renamed into
// place: a reader never sees half a file, and a streaming reader knows
// every gap before the resources it concerns.
type snapshotWriter struct {
	path string
	f    *os.File // the resources, as read
	w    *bufio.Writer
	n    int
	gaps []snapshotGap
	err  error
}

type snapshotGap struct {
	ResourceID string `json:"resourceId"`
	Part       string `json:"part"`
	Error      string `json:"error"`
}

// snapshotHeader is the kvguardSnapshot member.
type snapshotHeader struct {
	Version   string          `json:"version"`
	CreatedAt string          `json:"createdAt"`
	Tool      string          `json:"tool"`
	Cloud     string          `json:"cloud"`
	TenantID  string          `json:"tenantId,omitempty"`
	Scope     snapshotScope   `json:"scope"`
	Summary   snapshotSummary `json:"summary"`
}

type snapshotScope struct {
	Subscriptions    []string `json:"subscriptions"`
	ManagementGroups []string `json:"managementGroups"`
}

type snapshotSummary struct {
	Subscriptions    int `json:"subscriptions"`
	VaultsFound      int `json:"vaultsFound"`
	VaultsJudged     int `json:"vaultsJudged"`
	VaultsUnreadable int `json:"vaultsUnreadable"`
	// Managed HSMs are counted apart (omitted when there are none).
	ManagedHSMsFound      int `json:"managedHSMsFound,omitempty"`
	ManagedHSMsJudged     int `json:"managedHSMsJudged,omitempty"`
	ManagedHSMsUnreadable int `json:"managedHSMsUnreadable,omitempty"`
}

func newSnapshotWriter(path string) (*snapshotWriter, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	return &snapshotWriter{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// add writes one body as read, with kvguard's provenance member.
func (w *snapshotWriter) add(body map[string]any, apiVersion string, readAt time.Time) {
	if w.err != nil {
		return
	}
	prov := map[string]any{}
	if apiVersion != "" {
		prov["apiVersion"] = apiVersion
	} else {
		prov["via"] = "resourceGraph"
	}
	if !readAt.IsZero() {
		prov["readAt"] = resource.FormatTime(readAt)
	}
	body["kvguard"] = prov
	b, err := json.Marshal(body)
	delete(body, "kvguard")
	if err != nil {
		w.err = err
		return
	}
	sep := ",\n  "
	if w.n == 0 {
		sep = "\n  "
	}
	w.n++
	if _, err := w.w.WriteString(sep); err != nil {
		w.err = err
		return
	}
	_, w.err = w.w.Write(b)
}

func (w *snapshotWriter) gap(resourceID string, g resource.Gap) {
	w.gaps = append(w.gaps, snapshotGap{ResourceID: resourceID, Part: g.Part, Error: g.Err})
}

// close writes the snapshot into place: header, gaps, then resources.
func (w *snapshotWriter) close(h snapshotHeader) error {
	defer os.Remove(w.f.Name())
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err == nil {
		_, w.err = w.f.Seek(0, io.SeekStart)
	}
	if w.err != nil {
		w.f.Close()
		return w.err
	}
	defer w.f.Close()
	return atomicfile.Write(w.path, func(out io.Writer) error { return w.writeFinal(out, h) })
}

func (w *snapshotWriter) writeFinal(out io.Writer, h snapshotHeader) error {
	gaps := w.gaps
	if gaps == nil {
		gaps = []snapshotGap{}
	}
	hb, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	gb, err := json.MarshalIndent(gaps, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<16)
	fmt.Fprintf(bw, "{\n\"kvguardSnapshot\": %s,\n\"gaps\": %s,\n\"resources\": [", hb, gb)
	if _, err := io.Copy(bw, w.f); err != nil {
		return err
	}
	if _, err := bw.WriteString("\n]\n}\n"); err != nil {
		return err
	}
	return bw.Flush() // atomicfile syncs the file before renaming it into place
}

func (s *scanner) header(sum Summary) snapshotHeader {
	subs := s.scopeSubs
	if subs == nil {
		subs = []string{}
	}
	mgs := s.opts.ManagementGroups
	if mgs == nil {
		mgs = []string{}
	}
	return snapshotHeader{
		Version:   "1",
		CreatedAt: resource.FormatTime(time.Now()),
		Tool:      s.opts.Tool,
		Cloud:     s.cloud.Name,
		TenantID:  s.tenantID,
		Scope:     snapshotScope{Subscriptions: subs, ManagementGroups: mgs},
		Summary: snapshotSummary{
			Subscriptions: sum.Subscriptions, VaultsFound: sum.VaultsFound,
			VaultsJudged: sum.VaultsJudged, VaultsUnreadable: sum.VaultsUnreadable,
			ManagedHSMsFound: sum.ManagedHSMsFound, ManagedHSMsJudged: sum.ManagedHSMsJudged,
			ManagedHSMsUnreadable: sum.ManagedHSMsUnreadable,
		},
	}
}
