package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/webauth"
)

// tokenOptions are the flags of `kvguard token`.
type tokenOptions struct {
	db      string
	name    string
	role    string
	expires string
	format  string
	// now is the clock (tests inject one).
	now func() time.Time
}

func newTokenCmd(a *app) *cobra.Command {
	o := &tokenOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke kvguard serve's API tokens",
		Long: `Token manages the API tokens kvguard serve accepts in "Authorization: Bearer kvg_…":
each has a name, a role (reader, editor or admin) and an expiry, and is stored as a
SHA-256 hash, so it is shown once, when it is created, and never again.`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&o.db, "db", "kvguard.db", "the store: a SQLite file, or a postgres:// connection string")

	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print it (once) on stdout",
		Example: `  kvguard token create --name ci --role editor --expires 90d
  kvguard token create --db postgres://kvguard@db/kvguard --name grafana \
    --role reader --expires never`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTokenCreate(cmd.Context(), a, o) },
	}
	create.Flags().StringVar(&o.name, "name", "", "what the token is for (required)")
	create.Flags().StringVar(&o.role, "role", "", "reader, editor or admin (required)")
	create.Flags().StringVar(&o.expires, "expires", "", `when it stops working: 90d, 720h, 2027-01-31, or "never" (required)`)

	list := &cobra.Command{
		Use:   "list",
		Short: "List the API tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runTokenList(cmd.Context(), a, o) },
	}
	list.Flags().StringVar(&o.format, "format", "table", "table or json")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token by its ID (see token list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageErrorf("token revoke: %q is not a token ID (a number from token list)", args[0])
			}
			return runTokenRevoke(cmd.Context(), a, o, id)
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// dsnForDisplay hides a connection string's password.
func dsnForDisplay(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// dsnError is an error whose message has the connection string's
// password replaced, whatever layer put it there.
type dsnError struct {
	err    error
	secret string
}

func (e *dsnError) Error() string {
	if e.secret == "" {
		return e.err.Error()
	}
	return strings.ReplaceAll(e.err.Error(), e.secret, "xxxxx")
}

func (e *dsnError) Unwrap() error { return e.err }

func redactDSNError(dsn string, err error) error {
	if err == nil {
		return nil
	}
	secret := ""
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		secret, _ = u.User.Password()
	}
	return &dsnError{err: err, secret: secret}
}

// tokenService opens the store (failing no scan another process runs)
// and a token-only authentication service on it.
func tokenService(ctx context.Context, a *app, o *tokenOptions) (*webauth.Service, func(), error) {
	st, err := store.Open(ctx, o.db, store.Options{Recover: store.RecoverExpired, Logger: a.logger, Now: o.now})
	if err != nil {
		return nil, nil, redactDSNError(o.db, fmt.Errorf("open the store %s: %w", dsnForDisplay(o.db), err))
	}
	svc, err := webauth.New(ctx, webauth.Options{Store: st, Now: o.now, Logger: a.logger})
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return svc, func() { _ = st.Close() }, nil
}

// cliActor is who the audit log says made a change from the command line.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func runTokenCreate(ctx context.Context, a *app, o *tokenOptions) error {
	if strings.TrimSpace(o.name) == "" {
		return usageErrorf("token create: --name is required")
	}
	role, err := webauth.ParseRole(o.role)
	if err != nil || role == webauth.RoleNone {
		return usageErrorf("token create: --role reader, editor or admin is required")
	}
	expires, never, err := webauth.ParseExpiry(o.expires, o.now())
	if err != nil {
		return usageErrorf("token create: --expires: %w", err)
	}
	svc, done, err := tokenService(ctx, a, o)
	if err != nil {
		return err
	}
	defer done()
	secret, rec, err := svc.CreateToken(ctx, cliActor(), webauth.NewToken{Name: o.name, Role: role, Expires: expires, Never: never})
	if err != nil {
		return redactDSNError(o.db, err)
	}
	until := "never expires"
	if !rec.Expires.IsZero() {
		until = "expires " + rec.Expires.Format(time.RFC3339)
	}
	fmt.Fprintf(a.io.ErrOut, "kvguard: token %d %q (%s) created, %s; it is shown once, below\n", rec.ID, rec.Name, rec.Role, until)
	_, err = fmt.Fprintln(a.io.Out, secret)
	return err
}

func runTokenList(ctx context.Context, a *app, o *tokenOptions) error {
	if o.format != "table" && o.format != "json" {
		return usageErrorf("token list: unknown --format %q (table, json)", o.format)
	}
	svc, done, err := tokenService(ctx, a, o)
	if err != nil {
		return err
	}
	defer done()
	list, err := svc.Tokens(ctx)
	if err != nil {
		return redactDSNError(o.db, err)
	}
	if o.format == "json" {
		if list == nil {
			list = []store.APIToken{}
		}
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tSTATUS\tEXPIRES\tLAST USED\tCREATED BY")
	now := o.now()
	for _, t := range list {
		status := "active"
		switch {
		case !t.Revoked.IsZero():
			status = "revoked"
		case !t.Expires.IsZero() && !now.Before(t.Expires):
			status = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, status, tokenTime(t.Expires, "never"), tokenTime(t.LastUsed, "-"), t.CreatedBy)
	}
	return tw.Flush()
}

func tokenTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func runTokenRevoke(ctx context.Context, a *app, o *tokenOptions, id int64) error {
	svc, done, err := tokenService(ctx, a, o)
	if err != nil {
		return err
	}
	defer done()
	if err := svc.RevokeToken(ctx, cliActor(), id); err != nil {
		if errors.Is(err, store.ErrUnknownToken) {
			return fmt.Errorf("token revoke: no API token %d (see kvguard token list)", id)
		}
		return redactDSNError(o.db, fmt.Errorf("token revoke %d: %w", id, err))
	}
	fmt.Fprintf(a.io.ErrOut, "kvguard: token %d revoked\n", id)
	return nil
}
