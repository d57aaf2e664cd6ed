package azuresim

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Proxy is an HTTP CONNECT proxy on loopback that sends the tunnels of
// clients which cannot be given a dialer (the Azure CLI, curl) to the
// simulator: a vault's host (kv.vault.azuresim.test:443) resolves nowhere,
// so such a client is pointed at the proxy with HTTPS_PROXY, and the
// proxy connects the tunnel to the simulator's listener. It never resolves
// or dials anything else: a tunnel to any other host is refused with 403
// and recorded, so that a test can assert that nothing tried to leave
// loopback.
type Proxy struct {
	sim      string   // the simulator's address
	suffixes []string // hosts under these suffixes go to the simulator
	ln       net.Listener
	srv      *http.Server

	mu      sync.Mutex
	refused []string
	tunnels int
}

// NewProxy starts a proxy on addr (127.0.0.1:0 for a free port) for the
// simulator.
func (s *Simulator) NewProxy(addr string) (*Proxy, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{sim: s.Addr(), suffixes: []string{s.opts.KeyVaultDNSSuffix, s.opts.ManagedHSMDNSSuffix}, ln: ln}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the proxy's address for HTTPS_PROXY.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Refused lists the hosts whose tunnels were refused, in order.
func (p *Proxy) Refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refused...)
}

// Tunnels counts the tunnels made to the simulator.
func (p *Proxy) Tunnels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tunnels
}

// Close stops the proxy and drops its tunnels at once: they are a test's
// or a terminal session's, and nothing is lost by cutting them.
func (p *Proxy) Close() error {
	return p.srv.Close()
}

// ServeHTTP answers CONNECT; plain requests through the proxy are refused
// (the simulator speaks TLS only).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Host
	if r.Method != http.MethodConnect {
		target = r.URL.Host
	}
	if r.Method != http.MethodConnect || !p.admits(target) {
		p.mu.Lock()
		p.refused = append(p.refused, target)
		p.mu.Unlock()
		http.Error(w, "the kvguard simulator's proxy tunnels to the simulator only, not to "+target, http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", p.sim, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	p.mu.Lock()
	p.tunnels++
	p.mu.Unlock()
	_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		// Bytes the client sent after its CONNECT line, then the rest.
		if n := buf.Reader.Buffered(); n > 0 { //nolint:staticcheck // bufio.ReadWriter: Buffered is ambiguous without the field
			b, _ := buf.Peek(n)
			_, _ = upstream.Write(b)
		}
		_, _ = io.Copy(upstream, client)
		upstream.Close()
	}()
	_, _ = io.Copy(client, upstream)
	client.Close()
}

// admits reports whether a tunnel target is the simulator: its own
// address, or a host under its vault DNS suffixes, on port 443.
func (p *Proxy) admits(target string) bool {
	if target == p.sim {
		return true
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil || port != "443" {
		return false
	}
	host = strings.ToLower(host)
	for _, s := range p.suffixes {
		if s != "" && strings.HasSuffix(host, strings.ToLower(s)) {
			return true
		}
	}
	return false
}
