// Package azuresim is an Azure-compatible simulator: it speaks the REST
// protocols of Entra ID's token endpoint (client credentials), Azure
// Resource Manager (subscriptions, management groups, key vaults, managed
// HSMs, ARM-plane secrets and keys, managed HSM keys, private endpoint
// connections, diagnostic settings of vaults and HSMs), Azure Resource
// Graph and the Key Vault data plane (TLS, with the 401 challenge: object
// lists, certificates with their policies and X.509 certificates, key
// rotation policies), so that the real Azure SDK for Go clients
// can be driven over HTTPS on loopback in tests, demos and benchmarks.
//
// It serves an Estate, read from a kvguard snapshot (docs/snapshot.md) or
// generated, and injects latency, Azure's throttling limits, transient
// 5xx errors, dropped connections and forbidden vaults on request. It
// records every request, so that tests can check what a client asked for;
// it holds no secret values and refuses every request for one.
//
// Use it as a library (New, Start, Client, Cloud) or through `kvguard
// simulate`. It imports nothing of kvguard's but internal/resource.
package azuresim
