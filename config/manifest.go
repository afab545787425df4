package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
)

// Manifest is a product integration manifest, as a partner fills it in to
// list a product: in a config file's products list, or in a file given to
// `muster products register`. YAML or JSON.
type Manifest struct {
	Company struct {
		ID   string `yaml:"id" json:"id"`
		Name string `yaml:"name" json:"name"`
	} `yaml:"company" json:"company"`
	ProductInfo struct {
		ID          string   `yaml:"id" json:"id"`
		Name        string   `yaml:"name" json:"name"`
		Description string   `yaml:"description" json:"description"`
		Categories  []string `yaml:"categories" json:"categories"`
	} `yaml:"product" json:"product"`
	HomeAccount string `yaml:"home_account" json:"home_account"`
	// IntegrationTypes default to SEND_FINDINGS_TO_SECURITY_HUB.
	IntegrationTypes []string `yaml:"integration_types" json:"integration_types"`
	// ImportPolicies are BATCH_IMPORT_FINDINGS_FROM_PRODUCT_ACCOUNT and/or
	// BATCH_IMPORT_FINDINGS_FROM_CUSTOMER_ACCOUNT; none (NEITHER) is a
	// product that does not send findings.
	ImportPolicies  []string `yaml:"import_policies" json:"import_policies"`
	MarketplaceURL  string   `yaml:"marketplace_url" json:"marketplace_url"`
	ActivationURL   string   `yaml:"activation_url" json:"activation_url"`
	DefaultInsights []any    `yaml:"default_insights" json:"default_insights"`
}

// Product returns the catalog entry the manifest describes, or why the
// manifest is not valid.
func (m *Manifest) Product() (*muster.Product, error) {
	p := &muster.Product{
		CompanyID: m.Company.ID, CompanyName: m.Company.Name,
		ProductID: m.ProductInfo.ID, ProductName: m.ProductInfo.Name,
		Description: m.ProductInfo.Description, Categories: m.ProductInfo.Categories,
		HomeAccount: m.HomeAccount, IntegrationTypes: m.IntegrationTypes,
		MarketplaceURL: m.MarketplaceURL, ActivationURL: m.ActivationURL,
	}
	for _, t := range m.ImportPolicies {
		if t != "NEITHER" {
			p.ImportPolicies = append(p.ImportPolicies, t)
		}
	}
	if len(p.IntegrationTypes) == 0 {
		p.IntegrationTypes = []string{muster.SendFindings}
	}
	for i, in := range m.DefaultInsights {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("default_insights[%d]: %w", i, err)
		}
		p.DefaultInsights = append(p.DefaultInsights, b)
	}
	if err := p.Validate(); err != nil {
		return nil, plain(err)
	}
	return p, nil
}

// LoadManifest reads a manifest file; errors name the file and, where
// YAML knows it, the line.
func LoadManifest(path string) (*muster.Product, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(path, data)
}

// ParseManifest reads a manifest from data; path is used in errors.
func ParseManifest(path string, data []byte) (*muster.Product, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the manifest is empty", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, err := m.Product()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParseRule reads an event rule from a file in the config file's rule
// syntax (YAML or JSON: name, pattern, targets, enabled); name, when
// given, replaces the file's.
func ParseRule(path string, data []byte, name string) (*muster.Rule, error) {
	var rc RuleConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the rule is empty", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if name != "" {
		rc.Name = name
	}
	r := rc.rule()
	r.Config = false
	if _, err := delivery.CheckRule(r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, plain(err))
	}
	return r, nil
}

// plain returns a domain error as its message alone, without the wire
// code, as a file's errors read: the file and line say where, the message
// what.
func plain(err error) error {
	if e, ok := muster.AsError(err); ok {
		return errors.New(e.Message)
	}
	return err
}
