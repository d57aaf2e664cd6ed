package webauth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/store"
)

// TokenPrefix starts every kvguard API token, so that one found in a log
// or a repository is recognised (and a secret scanner can look for it).
const TokenPrefix = "kvg_"

// touchEvery is how often a token's last use is written at most.
const touchEvery = time.Minute

// NewToken is what an admin asks for.
type NewToken struct {
	Name string
	Role Role
	// Expires is when the token stops working; zero only with Never.
	Expires time.Time
	// Never is the explicit choice of a token that does not expire.
	Never bool
}

// CreateToken makes an API token on behalf of actor and records its hash.
// The token is returned once and kept nowhere.
func (s *Service) CreateToken(ctx context.Context, actor string, n NewToken) (string, store.APIToken, error) {
	n.Name = strings.TrimSpace(n.Name)
	switch {
	case n.Name == "":
		return "", store.APIToken{}, errors.New("create token: a token needs a name")
	case n.Role < RoleReader || n.Role > RoleAdmin:
		return "", store.APIToken{}, errors.New("create token: the role must be reader, editor or admin")
	case n.Never && !n.Expires.IsZero():
		return "", store.APIToken{}, errors.New("create token: an expiry and never")
	case !n.Never && n.Expires.IsZero():
		return "", store.APIToken{}, errors.New(`create token: an expiry is required (a duration such as 90d, a date, or "never")`)
	case !n.Never && !n.Expires.After(s.now()):
		return "", store.APIToken{}, fmt.Errorf("create token: the expiry %s is not in the future", n.Expires.UTC().Format(time.RFC3339))
	}
	secret := TokenPrefix + random(32)
	rec, err := s.st.CreateAPIToken(ctx, actor, store.APIToken{Name: n.Name, Role: n.Role.String(), Expires: n.Expires.UTC()}, hashOf(secret))
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("create token %q: %w", n.Name, err)
	}
	s.log.Info("API token created", "id", rec.ID, "name", rec.Name, "role", rec.Role, "by", actor)
	return secret, rec, nil
}

// Tokens lists the API tokens (never a token, never a hash).
func (s *Service) Tokens(ctx context.Context) ([]store.APIToken, error) {
	return s.st.APITokens(ctx)
}

// RevokeToken revokes token id on behalf of actor (store.ErrUnknownToken
// when there is none).
func (s *Service) RevokeToken(ctx context.Context, actor string, id int64) error {
	if err := s.st.RevokeAPIToken(ctx, actor, id); err != nil {
		return err
	}
	s.log.Info("API token revoked", "id", id, "by", actor)
	return nil
}

// authToken checks an Authorization header.
func (s *Service) authToken(ctx context.Context, header string) (Identity, bool, error) {
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") {
		return Identity{}, false, fmt.Errorf("%w: the Authorization scheme must be Bearer with a kvguard API token", ErrCredential)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 {
		return Identity{}, false, fmt.Errorf("%w: not a kvguard API token (they start with %s)", ErrCredential, TokenPrefix)
	}
	rec, err := s.st.APITokenByHash(ctx, hashOf(secret))
	if errors.Is(err, store.ErrUnknownToken) {
		return Identity{}, false, fmt.Errorf("%w: unknown API token", ErrCredential)
	}
	if err != nil {
		return Identity{}, false, fmt.Errorf("authenticate an API token: %w", err)
	}
	now := s.now()
	switch {
	case !rec.Revoked.IsZero():
		return Identity{}, false, fmt.Errorf("%w: API token %q was revoked on %s", ErrCredential, rec.Name, rec.Revoked.Format(time.RFC3339))
	case !rec.Expires.IsZero() && !now.Before(rec.Expires):
		return Identity{}, false, fmt.Errorf("%w: API token %q expired on %s", ErrCredential, rec.Name, rec.Expires.Format(time.RFC3339))
	}
	role, err := ParseRole(rec.Role)
	if err != nil || role == RoleNone {
		return Identity{}, false, fmt.Errorf("%w: API token %q has no usable role", ErrCredential, rec.Name)
	}
	if now.Sub(rec.LastUsed) >= touchEvery {
		if _, err := s.st.TouchAPIToken(ctx, rec.ID, now, touchEvery); err != nil {
			// The request is still authenticated: last use is a hint.
			s.log.Warn("record an API token's use", "id", rec.ID, "err", err)
		}
	}
	return Identity{Name: "token:" + rec.Name, Role: role, Kind: KindToken}, true, nil
}

// ParseExpiry reads a token's expiry: "never", a number of days ("90d"),
// a Go duration ("720h"), a date (2027-01-31, at midnight UTC) or an
// RFC 3339 instant.
func ParseExpiry(s string, now time.Time) (expires time.Time, never bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, false, errors.New(`an expiry is required: a duration such as 90d, a date, or "never"`)
	case strings.EqualFold(s, "never"):
		return time.Time{}, true, nil
	case strings.HasSuffix(s, "d"):
		days, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || days <= 0 {
			return time.Time{}, false, fmt.Errorf("expiry %q: a positive number of days, such as 90d", s)
		}
		return now.Add(time.Duration(days) * 24 * time.Hour), false, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, false, fmt.Errorf("expiry %q is not in the future", s)
		}
		return now.Add(d), false, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if !t.After(now) {
				return time.Time{}, false, fmt.Errorf("expiry %q is not in the future", s)
			}
			return t.UTC(), false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf(`expiry %q: use a duration (90d, 720h), a date (2027-01-31), an RFC 3339 instant, or "never"`, s)
}
