package webauth

import (
	"fmt"
	"strings"
)

// Role is what an identity may do; a higher role may do everything a
// lower one may.
type Role int

// The roles, in order. RoleNone is no role at all (refused).
const (
	RoleNone   Role = 0
	RoleReader Role = 1
	RoleEditor Role = 2
	RoleAdmin  Role = 3
)

// String is the role's name as flags, the API and the store spell it.
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleEditor:
		return "editor"
	case RoleAdmin:
		return "admin"
	case RoleNone:
		return "none"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// ParseRole reads reader, editor or admin (any case; "none" is RoleNone).
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "reader":
		return RoleReader, nil
	case "editor":
		return RoleEditor, nil
	case "admin":
		return RoleAdmin, nil
	case "none":
		return RoleNone, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q: use reader, editor or admin", s)
}

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) {
	if r < RoleNone || r > RoleAdmin {
		return nil, fmt.Errorf("marshal role: %d is not a role", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
