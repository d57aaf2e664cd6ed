package sarif

// The subset of the SARIF 2.1.0 object model kvguard writes. Field order
// is the order in the output; optional fields are omitted when empty.

type tool struct {
	Driver driver `json:"driver"`
}

type driver struct {
	Name            string `json:"name"`
	InformationURI  string `json:"informationUri"`
	Version         string `json:"version,omitempty"`
	SemanticVersion string `json:"semanticVersion,omitempty"`
	Rules           []rule `json:"rules"`
}

// rule is a reportingDescriptor: one recommendation.
type rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     text           `json:"shortDescription"`
	FullDescription      text           `json:"fullDescription"`
	Help                 help           `json:"help"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration configuration  `json:"defaultConfiguration"`
	Properties           ruleProperties `json:"properties"`
}

type text struct {
	Text string `json:"text"`
}

// help is a multiformatMessageString.
type help struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type configuration struct {
	Level string `json:"level"`
}

// ruleProperties hold the keys GitHub code scanning reads
// ("security-severity", "problem.severity", "precision", "tags") and
// kvguard's own.
type ruleProperties struct {
	Tags               []string `json:"tags"`
	Precision          string   `json:"precision"`
	ProblemSeverity    string   `json:"problem.severity"`
	SecuritySeverity   string   `json:"security-severity"`
	Severity           string   `json:"kvguardSeverity"`
	PolicyDefinitionID string   `json:"policyDefinitionId,omitempty"`
	PolicyVersion      string   `json:"policyVersion,omitempty"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             text              `json:"message"`
	Locations           []location        `json:"locations"`
	RelatedLocations    []location        `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []suppression     `json:"suppressions,omitempty"`
	Properties          resultProperties  `json:"properties"`
}

type location struct {
	// ID numbers related locations from 1; 0 is left out.
	ID               int               `json:"id,omitempty"`
	PhysicalLocation *physicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
	Message          *text             `json:"message,omitempty"`
}

type physicalLocation struct {
	ArtifactLocation artifactLocation `json:"artifactLocation"`
	Region           *region          `json:"region,omitempty"`
}

type artifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// region lines and columns are 1-based; zero values are left out.
type region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
}

type logicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type suppression struct {
	Kind          string    `json:"kind"`
	Status        string    `json:"status"`
	Justification string    `json:"justification,omitempty"`
	Location      *location `json:"location,omitempty"`
}

// resultProperties carry what SARIF has no field for: kvguard's own
// verdict (an Unknown result is level "note" like a Low finding, so the
// status tells them apart) and the resource it concerns.
type resultProperties struct {
	Status       string `json:"kvguardStatus"`
	ResourceID   string `json:"resourceId"`
	ResourceType string `json:"resourceType,omitempty"`
	SourceKind   string `json:"sourceKind,omitempty"`
	Address      string `json:"address,omitempty"`
	Placeholder  bool   `json:"placeholder,omitempty"`
	// Deployment is the root module, template or Bicep file a planned
	// resource belongs to.
	Deployment string `json:"deployment,omitempty"`
	// NoFileLocation marks a result placed only by its resource ID.
	NoFileLocation bool `json:"noFileLocation,omitempty"`
	// ExemptionExpired marks a finding whose kvguard:ignore has expired.
	ExemptionExpired bool `json:"exemptionExpired,omitempty"`
	// RelatedLocationsOmitted and SuppressionsOmitted count components
	// left out past the first 100.
	RelatedLocationsOmitted int `json:"relatedLocationsOmitted,omitempty"`
	SuppressionsOmitted     int `json:"suppressionsOmitted,omitempty"`
}

type notification struct {
	Level     string     `json:"level"`
	Message   text       `json:"message"`
	Locations []location `json:"locations,omitempty"`
}
