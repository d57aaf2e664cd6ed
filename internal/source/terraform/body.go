package terraform

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// content is a block body taken apart into attributes and nested blocks,
// in source order. Native syntax bodies say which is which; JSON bodies
// (*.tf.json) do not, so for them the nested block types come from
// nestedBlocks, as Terraform takes them from the provider schema.
type content struct {
	attrs  []*hcl.Attribute
	blocks []*hcl.Block
}

func (c content) attr(name string) *hcl.Attribute {
	for _, a := range c.attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// metaBlocks are the nested blocks Terraform itself interprets in any
// resource body.
var metaBlocks = []string{"lifecycle", "connection"}

// nestedBlocks lists, per resource type or block type, the nested block
// types of the azurerm schema that kvguard maps. Native syntax needs none
// of this; it only tells JSON bodies which members are blocks.
var nestedBlocks = map[string][]string{
	"azurerm_key_vault":                                      {"network_acls", "access_policy", "contact", "timeouts"},
	"azurerm_key_vault_secret":                               {"timeouts"},
	"azurerm_key_vault_key":                                  {"rotation_policy", "timeouts"},
	"azurerm_key_vault_certificate":                          {"certificate", "certificate_policy", "timeouts"},
	"azurerm_private_endpoint":                               {"private_service_connection", "private_dns_zone_group", "ip_configuration", "timeouts"},
	"azurerm_monitor_diagnostic_setting":                     {"enabled_log", "log", "metric", "enabled_metric", "timeouts"},
	"azurerm_key_vault_managed_hardware_security_module":     {"network_acls", "timeouts"},
	"azurerm_key_vault_managed_hardware_security_module_key": {"rotation_policy", "timeouts"},
	"rotation_policy":                                        {"automatic"},
	"certificate_policy":                                     {"issuer_parameters", "key_properties", "lifetime_action", "secret_properties", "x509_certificate_properties"},
	"lifetime_action":                                        {"action", "trigger"},
	"x509_certificate_properties":                            {"subject_alternative_names"},
	"enabled_log":                                            {"retention_policy"},
	"log":                                                    {"retention_policy"},
	"metric":                                                 {"retention_policy"},
	"dynamic":                                                {"content"},
}

// bodyContent takes body apart. kind names the resource or block type
// whose nested blocks apply to a JSON body.
func bodyContent(body hcl.Body, kind string) (content, hcl.Diagnostics) {
	if sb, ok := body.(*hclsyntax.Body); ok {
		c := content{attrs: make([]*hcl.Attribute, 0, len(sb.Attributes))}
		for _, a := range sb.Attributes {
			c.attrs = append(c.attrs, a.AsHCLAttribute())
		}
		sortAttrs(c.attrs)
		c.blocks = make([]*hcl.Block, 0, len(sb.Blocks))
		for _, b := range sb.Blocks {
			c.blocks = append(c.blocks, b.AsHCLBlock())
		}
		return c, nil
	}
	schema := &hcl.BodySchema{}
	for _, t := range nestedBlocks[kind] {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: t})
	}
	if kind != "dynamic" {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: "dynamic", LabelNames: []string{"type"}})
		for _, t := range metaBlocks {
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: t})
		}
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: "provisioner", LabelNames: []string{"type"}})
	}
	bc, rest, diags := body.PartialContent(schema)
	var c content
	if bc != nil {
		c.blocks = bc.Blocks
	}
	attrs, d := rest.JustAttributes()
	diags = append(diags, d...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, a)
	}
	sortAttrs(c.attrs)
	return c, diags
}

func sortAttrs(as []*hcl.Attribute) {
	sort.Slice(as, func(i, j int) bool {
		a, b := as[i].Range, as[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// blockRange is the line range of a block: from its header to its closing
// brace.
func blockRange(b *hcl.Block) (start, end int) {
	start = b.DefRange.Start.Line
	end = b.DefRange.End.Line
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		end = sb.SrcRange.End.Line
		return start, end
	}
	if r := b.Body.MissingItemRange(); r.End.Line > end {
		end = r.End.Line
	}
	return start, end
}
