package arm

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// vaultChildren are the types whose documents hang from a vault or a
// managed HSM, with the type of that parent.
var vaultChildren = map[string]string{
	strings.ToLower(resource.TypeARMSecret):         resource.TypeVault,
	strings.ToLower(resource.TypeARMKey):            resource.TypeVault,
	strings.ToLower(resource.TypeVaultPEConnection): resource.TypeVault,
	strings.ToLower(resource.TypeARMHSMKey):         resource.TypeManagedHSM,
}

// isVaultType reports whether typ is a vault or a managed HSM.
func isVaultType(typ string) bool {
	return strings.EqualFold(typ, resource.TypeVault) || strings.EqualFold(typ, resource.TypeManagedHSM)
}

// checkName checks the name segments of a vault, a managed HSM or one of
// their children, as Azure does at deployment ("incorrect segment
// lengths"). A vault with a bad name is reported and makes no document:
// no vault is ever judged under an empty name. A child whose name does
// not give its vault (too few segments, or a vault segment that cannot be
// resolved) is reported too, and judged against the one vault its parent
// or dependsOn names, if there is one; else it makes no document. false
// means no document.
func (m *Mapper) checkName(res *Resource) bool {
	parentType, child := vaultChildren[strings.ToLower(res.Type)]
	if !child && !isVaultType(res.Type) {
		return true
	}
	why := res.BadName
	if why == "" {
		why = segmentProblem(res.Name, res.Type)
		if why == "" && child {
			why = unresolvedParent(res.Name)
		}
	} else if !child {
		return true // a vault whose name is an unknown expression is still a vault
	}
	if why == "" {
		return true
	}
	at := resource.Position{File: res.Source.File, Line: res.Source.StartLine}
	if res.At != nil {
		if p, ok := res.At("name"); ok {
			at = p
		}
	}
	what := res.Source.Address + " (" + res.Type + ")"
	if !child {
		m.report(resource.Errorf(at, "%s: %s; it is not judged", what, why))
		return false
	}
	vault := soleParent(res.DependsOn, parentType)
	if vault == "" {
		m.report(resource.Errorf(at, "%s: %s, and neither parent nor dependsOn names one %s; it is not judged", what, why, typeWord(parentType)))
		return false
	}
	m.report(resource.Errorf(at, "%s: %s; it is judged as a child of %s, the one %s its parent or dependsOn names", what, why, LastSegment(vault), typeWord(parentType)))
	leaf := leafName(res)
	seg := res.Type[strings.LastIndexByte(res.Type, '/')+1:]
	res.ID = vault + "/" + seg + "/" + leaf
	res.Name = LastSegment(vault) + "/" + leaf
	if s, ok := res.NameValue.(string); ok {
		res.NameValue = LastSegment(s)
	}
	return true
}

// segmentProblem says what is wrong with the segments of a name for the
// type, or "".
func segmentProblem(name, typ string) string {
	segs := strings.Split(name, "/")
	want := typeDepth(typ)
	if len(segs) != want {
		return fmt.Sprintf("the name %q has %d segment(s) but the type needs %d (Azure rejects it: incorrect segment lengths)", name, len(segs), want)
	}
	for _, s := range segs {
		if strings.TrimSpace(s) == "" {
			return fmt.Sprintf("the name %q has an empty segment (Azure rejects it: incorrect segment lengths)", name)
		}
	}
	return ""
}

// knownPlaceholder matches the placeholders of names that still link
// resources: a parameter without a value, a copy index.
var knownPlaceholder = regexp.MustCompile(`\[(parameters\('[^']*'\)|copyIndex\(('[^']*')?\))\]`)

// unresolvedParent says, for a child's full name, that the name of its
// vault is an expression that cannot be resolved before deployment (a
// placeholder other than a parameter's or a copy index's), or "".
func unresolvedParent(name string) string {
	segs := strings.Split(name, "/")
	for _, s := range segs[:len(segs)-1] {
		if strings.Contains(knownPlaceholder.ReplaceAllString(s, ""), "[") {
			return fmt.Sprintf("the name of its vault, %s, is an expression kvguard cannot resolve before deployment", s)
		}
	}
	return ""
}

// leafName is the child's own name segment for its rebuilt ID: the last
// segment of its evaluated name, or of its name with placeholders.
func leafName(res *Resource) string {
	if s, ok := res.NameValue.(string); ok && s != "" {
		return LastSegment(s)
	}
	if u, ok := res.NameValue.(resource.Unknown); ok {
		return "[" + strings.ReplaceAll(u.Expr, "/", "%2F") + "]"
	}
	return LastSegment(res.Name)
}

// soleParent is the one resource of type parentType among deps (IDs),
// as written, or "".
func soleParent(deps []string, parentType string) string {
	found := ""
	for _, d := range deps {
		id, ok := resource.ParseID(d)
		if !ok || !strings.EqualFold(id.FullType(), parentType) || id.Name() == "" {
			continue
		}
		if found != "" && !resource.SameID(found, d) {
			return ""
		}
		found = d
	}
	return found
}

func typeWord(typ string) string {
	if strings.EqualFold(typ, resource.TypeManagedHSM) {
		return "managed HSM"
	}
	return "vault"
}
