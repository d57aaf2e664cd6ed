package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The records of kvguard serve's authentication (internal/webauth):
// API tokens, browser sessions, OpenID Connect sign-ins in flight and the
// sign-in log (migration 00002). The store keeps hashes, never a token
// or a session ID; it decides nothing about expiry or roles: the caller
// compares the instants it returns with its own clock.

// Sentinels for records that are not there.
var (
	ErrUnknownToken   = errors.New("no such API token")
	ErrUnknownSession = errors.New("no such session")
	ErrUnknownFlow    = errors.New("no such sign-in in progress")
)

// APIToken is an API token's record: never the token, never its hash.
type APIToken struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
	// Expires is zero for a token that never expires.
	Expires  time.Time `json:"expires,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
}

// authMS is t in milliseconds since the epoch, 0 for the zero time.
func authMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// authTime is the inverse of authMS.
func authTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// CreateAPIToken records a token whose SHA-256 is hash (hex) on behalf of
// actor and audits it; it returns the record with its ID and creation.
func (s *Store) CreateAPIToken(ctx context.Context, actor string, t APIToken, hash string) (APIToken, error) {
	if t.Name == "" || t.Role == "" || hash == "" {
		return APIToken{}, fmt.Errorf("create API token: a token needs a name, a role and a hash")
	}
	t.CreatedBy, t.Created = actor, time.UnixMilli(s.now()).UTC()
	t.Revoked, t.LastUsed = time.Time{}, time.Time{}
	err := s.inTx(ctx, "create API token", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO api_tokens (token_hash, name, role, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			hash, t.Name, t.Role, actor, authMS(t.Created), authMS(t.Expires)).Scan(&t.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "create", "api-token", t.ID, nil, t)
	})
	if err != nil {
		return APIToken{}, err
	}
	return t, nil
}

const tokenColumns = `id, name, role, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var created, expires, revoked, used int64
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return APIToken{}, err
	}
	t.Created, t.Expires, t.Revoked, t.LastUsed = authTime(created), authTime(expires), authTime(revoked), authTime(used)
	return t, nil
}

// APITokens lists every token, revoked and expired ones included, oldest
// first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// APITokenByHash finds the token whose SHA-256 is hash (hex), or
// ErrUnknownToken. Revoked and expired tokens are returned: the caller
// says why it refuses them.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, ErrUnknownToken
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("look up an API token: %w", err)
	}
	return t, nil
}

// HasAPITokens reports whether any token that is not revoked exists.
func (s *Store) HasAPITokens(ctx context.Context) (bool, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE revoked_at = 0`).Scan(&n); err != nil {
		return false, fmt.Errorf("count API tokens: %w", err)
	}
	return n > 0, nil
}

// RevokeAPIToken revokes a token now on behalf of actor and audits it;
// revoking a revoked token changes nothing. ErrUnknownToken when there is
// no such token.
func (s *Store) RevokeAPIToken(ctx context.Context, actor string, id int64) error {
	return s.inTx(ctx, fmt.Sprintf("revoke API token %d", id), func(tx *sql.Tx) error {
		before, err := scanToken(tx.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrUnknownToken
		}
		if err != nil {
			return err
		}
		if !before.Revoked.IsZero() {
			return nil
		}
		after := before
		after.Revoked = time.UnixMilli(s.now()).UTC()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = ? WHERE id = ?`), authMS(after.Revoked), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "revoke", "api-token", id, before, after)
	})
}

// TouchAPIToken records that token id was used at at, unless it was
// already recorded as used less than every before: a busy token costs one
// write a minute, not one per request. It reports whether it wrote.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time, every time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at <= ?`),
		at.UnixMilli(), id, at.Add(-every).UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record the use of API token %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record the use of API token %d: %w", id, err)
	}
	return n > 0, nil
}

// AuthSession is a signed-in browser's session.
type AuthSession struct {
	Subject string
	Name    string
	Role    string
	Created time.Time
	Expires time.Time
}

// CreateAuthSession records a session whose ID hashes to hash (hex).
func (s *Store) CreateAuthSession(ctx context.Context, hash string, a AuthSession) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO auth_sessions (session_hash, subject, name, role, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), hash, a.Subject, a.Name, a.Role, authMS(a.Created), authMS(a.Expires))
	if err != nil {
		return fmt.Errorf("create a session: %w", err)
	}
	return nil
}

// AuthSessionByHash finds a session by the hash of its ID, expired or
// not, or ErrUnknownSession.
func (s *Store) AuthSessionByHash(ctx context.Context, hash string) (AuthSession, error) {
	var a AuthSession
	var created, expires int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT subject, name, role, created_at, expires_at FROM auth_sessions
		WHERE session_hash = ?`), hash).Scan(&a.Subject, &a.Name, &a.Role, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthSession{}, ErrUnknownSession
	}
	if err != nil {
		return AuthSession{}, fmt.Errorf("look up a session: %w", err)
	}
	a.Created, a.Expires = authTime(created), authTime(expires)
	return a, nil
}

// DeleteAuthSession ends a session (signing out); ending one that is not
// there is not an error.
func (s *Store) DeleteAuthSession(ctx context.Context, hash string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM auth_sessions WHERE session_hash = ?`), hash); err != nil {
		return fmt.Errorf("delete a session: %w", err)
	}
	return nil
}

// AuthFlow is an OpenID Connect sign-in begun and not yet finished.
type AuthFlow struct {
	Nonce    string
	Verifier string
	ReturnTo string
	Expires  time.Time
}

// CreateAuthFlow records a sign-in in flight under the hash of its state.
func (s *Store) CreateAuthFlow(ctx context.Context, hash string, f AuthFlow) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO auth_flows (state_hash, nonce, verifier, return_to, expires_at)
		VALUES (?, ?, ?, ?, ?)`), hash, f.Nonce, f.Verifier, f.ReturnTo, authMS(f.Expires))
	if err != nil {
		return fmt.Errorf("record a sign-in: %w", err)
	}
	return nil
}

// TakeAuthFlow removes and returns the sign-in recorded under hash, or
// ErrUnknownFlow: a state is good for one callback only.
func (s *Store) TakeAuthFlow(ctx context.Context, hash string) (AuthFlow, error) {
	var f AuthFlow
	var expires int64
	err := s.db.QueryRowContext(ctx, s.q(`DELETE FROM auth_flows WHERE state_hash = ?
		RETURNING nonce, verifier, return_to, expires_at`), hash).Scan(&f.Nonce, &f.Verifier, &f.ReturnTo, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthFlow{}, ErrUnknownFlow
	}
	if err != nil {
		return AuthFlow{}, fmt.Errorf("finish a sign-in: %w", err)
	}
	f.Expires = authTime(expires)
	return f, nil
}

// PruneAuth deletes the sessions and sign-ins in flight that expired
// before now, and returns how many.
func (s *Store) PruneAuth(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, table := range []string{"auth_sessions", "auth_flows"} {
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE expires_at <= ?`), now.UnixMilli())
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}

// AuthLogin is one sign-in, admitted or refused.
type AuthLogin struct {
	At      time.Time `json:"at"`
	Issuer  string    `json:"issuer"`
	Subject string    `json:"subject"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	// Outcome is "admitted" or "refused"; Reason says why it was refused.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// RecordAuthLogin appends a sign-in to the log (At defaults to the
// store's clock).
func (s *Store) RecordAuthLogin(ctx context.Context, l AuthLogin) error {
	at := authMS(l.At)
	if at == 0 {
		at = s.now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO auth_logins (at, issuer, subject, name, role, outcome, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), at, l.Issuer, l.Subject, l.Name, l.Role, l.Outcome, l.Reason)
	if err != nil {
		return fmt.Errorf("record a sign-in: %w", err)
	}
	return nil
}

// AuthLogins lists the newest limit sign-ins, newest first.
func (s *Store) AuthLogins(ctx context.Context, limit int) ([]AuthLogin, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, issuer, subject, name, role, outcome, reason FROM auth_logins
		ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list sign-ins: %w", err)
	}
	defer rows.Close()
	var out []AuthLogin
	for rows.Next() {
		var l AuthLogin
		var at int64
		if err := rows.Scan(&at, &l.Issuer, &l.Subject, &l.Name, &l.Role, &l.Outcome, &l.Reason); err != nil {
			return nil, fmt.Errorf("list sign-ins: %w", err)
		}
		l.At = authTime(at)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sign-ins: %w", err)
	}
	return out, nil
}
