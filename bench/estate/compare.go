package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The comparison of issue 9: the whole kvguard scan of a saved estate
// against a plain, single-threaded encoding/json decode of the same file
// into typed structs, timed in the same run so that both meet the same
// load. Each is a process of its own (this command re-executed with
// -typed, and the kvguard binary), measured from the rusage the kernel
// keeps: wall time, CPU time and peak RSS. Runs alternate, typed first.

// Targets of issue 9 for the saved estate.
const (
	targetRatio  = 0.4 // kvguard wall / typed-decode wall
	targetRSSMiB = 300
)

// typedEstate is the snapshot internal/testsupport/synth writes, every member
// typed: what a plain Go program that reads the file would declare.
type typedEstate struct {
	Header struct {
		Version   string `json:"version"`
		CreatedAt string `json:"createdAt"`
		Tool      string `json:"tool"`
		Cloud     string `json:"cloud"`
		TenantID  string `json:"tenantId"`
		Scope     struct {
			Subscriptions    []string `json:"subscriptions"`
			ManagementGroups []string `json:"managementGroups"`
		} `json:"scope"`
		Summary struct {
			Subscriptions    int `json:"subscriptions"`
			VaultsFound      int `json:"vaultsFound"`
			VaultsJudged     int `json:"vaultsJudged"`
			VaultsUnreadable int `json:"vaultsUnreadable"`
		} `json:"summary"`
	} `json:"kvguardSnapshot"`
	Gaps []struct {
		ResourceID string `json:"resourceId"`
		Part       string `json:"part"`
		Error      string `json:"error"`
	} `json:"gaps"`
	Resources []typedResource `json:"resources"`
}

type typedResource struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Location string `json:"location"`
	Kvguard  struct {
		APIVersion string `json:"apiVersion"`
		ReadAt     string `json:"readAt"`
	} `json:"kvguard"`
	Tags       map[string]string `json:"tags"`
	Properties typedProperties   `json:"properties"`
}

type typedProperties struct {
	// vaults
	AccessPolicies             []json.RawMessage `json:"accessPolicies"`
	EnableRbacAuthorization    *bool             `json:"enableRbacAuthorization"`
	EnableSoftDelete           *bool             `json:"enableSoftDelete"`
	SoftDeleteRetentionInDays  *int              `json:"softDeleteRetentionInDays"`
	EnablePurgeProtection      *bool             `json:"enablePurgeProtection"`
	NetworkAcls                *typedACLs        `json:"networkAcls"`
	PrivateEndpointConnections []typedConnection `json:"privateEndpointConnections"`
	PublicNetworkAccess        string            `json:"publicNetworkAccess"`
	ProvisioningState          string            `json:"provisioningState"`
	Sku                        struct {
		Family string `json:"family"`
		Name   string `json:"name"`
	} `json:"sku"`
	TenantID string `json:"tenantId"`
	VaultURI string `json:"vaultUri"`
	// secrets and keys
	Attributes *struct {
		Created       *int64 `json:"created"`
		Enabled       *bool  `json:"enabled"`
		Exp           *int64 `json:"exp"`
		Nbf           *int64 `json:"nbf"`
		RecoveryLevel string `json:"recoveryLevel"`
		Updated       *int64 `json:"updated"`
	} `json:"attributes"`
	ContentType          string `json:"contentType"`
	SecretURI            string `json:"secretUri"`
	SecretURIWithVersion string `json:"secretUriWithVersion"`
	KeySize              *int   `json:"keySize"`
	Kty                  string `json:"kty"`
	CurveName            string `json:"curveName"`
	KeyURI               string `json:"keyUri"`
	RotationPolicy       *struct {
		Attributes struct {
			ExpiryTime string `json:"expiryTime"`
		} `json:"attributes"`
		LifetimeActions []struct {
			Action struct {
				Type string `json:"type"`
			} `json:"action"`
			Trigger struct {
				TimeAfterCreate string `json:"timeAfterCreate"`
			} `json:"trigger"`
		} `json:"lifetimeActions"`
	} `json:"rotationPolicy"`
	// diagnostic settings
	Logs []struct {
		CategoryGroup   string `json:"categoryGroup"`
		Enabled         bool   `json:"enabled"`
		RetentionPolicy struct {
			Days    int  `json:"days"`
			Enabled bool `json:"enabled"`
		} `json:"retentionPolicy"`
	} `json:"logs"`
	Metrics     []json.RawMessage `json:"metrics"`
	WorkspaceID string            `json:"workspaceId"`
}

type typedACLs struct {
	Bypass        string `json:"bypass"`
	DefaultAction string `json:"defaultAction"`
	IPRules       []struct {
		Value string `json:"value"`
	} `json:"ipRules"`
	VirtualNetworkRules []struct {
		ID string `json:"id"`
	} `json:"virtualNetworkRules"`
}

type typedConnection struct {
	ID         string `json:"id"`
	Properties struct {
		PrivateEndpoint struct {
			ID string `json:"id"`
		} `json:"privateEndpoint"`
		PrivateLinkServiceConnectionState struct {
			ActionsRequired string `json:"actionsRequired"`
			Description     string `json:"description"`
			Status          string `json:"status"`
		} `json:"privateLinkServiceConnectionState"`
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

// typedDecode decodes path into typed structs with encoding/json, as
// plainly as a Go program that streams the file would: the header and
// gaps whole, then each resource into a typedResource of its own, dropped
// once decoded (so that memory does not decide the time). With whole set
// it decodes the file into one typedEstate instead, holding everything.
func typedDecode(path string, whole bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	if whole {
		var e typedEstate
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("decode %s: %w", path, err)
		}
		fmt.Printf("%d resources, %d gaps\n", len(e.Resources), len(e.Gaps))
		return nil
	}
	var e typedEstate // header and gaps
	n, err := streamResources(dec, &e)
	if err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	fmt.Printf("%d resources, %d gaps\n", n, len(e.Gaps))
	return nil
}

// streamResources reads the top-level object member by member, decoding
// the resources one at a time.
func streamResources(dec *json.Decoder, e *typedEstate) (int, error) {
	if err := delim(dec, '{'); err != nil {
		return 0, err
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return n, err
		}
		switch tok {
		case "kvguardSnapshot":
			err = dec.Decode(&e.Header)
		case "gaps":
			err = dec.Decode(&e.Gaps)
		case "resources":
			if err := delim(dec, '['); err != nil {
				return n, err
			}
			for dec.More() {
				var r typedResource
				if err := dec.Decode(&r); err != nil {
					return n, err
				}
				n++
			}
			err = delim(dec, ']')
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return n, err
		}
	}
	return n, delim(dec, '}')
}

func delim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("expected %v, found %v", want, tok)
	}
	return nil
}

// measurement is one process's cost.
type measurement struct {
	wall, cpu time.Duration
	rssMiB    float64
	exit      int
}

// measure runs a command and reads its rusage.
func measure(name string, args ...string) (measurement, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	m := measurement{wall: time.Since(start)}
	if cmd.ProcessState == nil {
		return m, err
	}
	m.exit = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.rssMiB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return m, nil
}

// loadavg is the first three fields of /proc/loadavg, or "?".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// compare times runs of the typed decode and of each kvguard binary on
// path, one after the other, and prints each run and the verdict on the
// targets for each binary.
func compare(path string, kvguards []string, runs int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %.0f MB; kvguard = %s; %d runs, load average before each (1, 5, 15 min)\n",
		path, float64(info.Size())/1e6, strings.Join(kvguards, ", "), runs)
	fmt.Printf("%-4s %-16s %-22s %9s %9s %9s %9s %8s\n", "run", "load", "what", "wall s", "CPU s", "CPU/wall", "RSS MiB", "ratio")
	pass := make([]bool, len(kvguards))
	for i := range pass {
		pass[i] = true
	}
	for i := 1; i <= runs; i++ {
		// Both sides start from a file in the page cache: one run's decode
		// once read it from the disk, in twice its CPU time, and made the
		// scan after it look twice as fast as it was.
		if err := warm(path); err != nil {
			return err
		}
		load := loadavg()
		typed, err := measure(self, "-typed", path)
		if err != nil || typed.exit != 0 {
			return fmt.Errorf("typed decode: exit %d: %w", typed.exit, err)
		}
		printRow(i, load, "encoding/json (typed)", typed, "")
		if typed.cpu < typed.wall*9/10 {
			fmt.Printf("     (the decode had a core for %.0f%% of its time: it waited, so this run's ratios flatter kvguard)\n",
				100*typed.cpu.Seconds()/typed.wall.Seconds())
		}
		for j, kvguard := range kvguards {
			if err := warm(path); err != nil {
				return err
			}
			load = loadavg()
			kv, err := measure(kvguard, "scan", path, "--format", "json", "-o", "/dev/null")
			if err != nil || (kv.exit != 0 && kv.exit != 1) {
				return fmt.Errorf("%s: exit %d: %w", kvguard, kv.exit, err)
			}
			ratio := kv.wall.Seconds() / typed.wall.Seconds()
			printRow(i, load, "scan "+filepath.Base(kvguard), kv, fmt.Sprintf("%.2fx", ratio))
			if ratio > targetRatio || kv.rssMiB > targetRSSMiB {
				pass[j] = false
			}
		}
	}
	for j, kvguard := range kvguards {
		fmt.Printf("%s: wall <= %.1fx the typed decode's in the same run and peak RSS <= %d MiB: %s\n",
			kvguard, targetRatio, targetRSSMiB, map[bool]string{true: "met in every run", false: "NOT met in every run"}[pass[j]])
	}
	fmt.Printf("load average after: %s\n", loadavg())
	return nil
}

// warm reads path through, so that a measured run finds it in the page
// cache.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		return fmt.Errorf("reading %s into the page cache: %w", path, err)
	}
	return nil
}

func printRow(run int, load, what string, m measurement, ratio string) {
	fmt.Printf("%-4d %-16s %-22s %9.2f %9.2f %9.2f %9.0f %8s\n", run, load, what,
		m.wall.Seconds(), m.cpu.Seconds(), m.cpu.Seconds()/m.wall.Seconds(), m.rssMiB, ratio)
}
