// Package webauth decides who may use kvguard serve: API tokens (created
// by an admin, stored as SHA-256 hashes, shown once, with a role and an
// expiry, revocable) and OpenID Connect sign-in (authorization code flow
// with PKCE S256, state and nonce checked, the ID token verified by
// coreos/go-oidc) with server-side sessions carried in an HttpOnly,
// SameSite=Lax cookie.
//
// Its Service authenticates a request (Authenticate), serves the routes
// under /auth/ (Handler: sign-in, callback, sign-out, and the admin's
// token API) and names the page a browser without a session goes to
// (SignInURL). It keeps its records in internal/store (migration 00002);
// it imports nothing of kvguard's else, and not the server that mounts
// it: the server declares the interface it needs and an adapter maps
// Identity and Role onto it.
//
// Roles are ordered: reader < editor < admin. A reader reads, an editor
// also changes exemptions, owners and scans, an admin also manages
// tokens. Which route needs which role is the server's business, except
// for the token API here (admin).
package webauth
