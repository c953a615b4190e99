package config

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file is key strictness: the releases that decode their file with
// unknown keys refused (release.StrictV1, release.StrictV2) refuse a key
// their table does not know, at the places where tbot's strict decoder
// reaches. Entries of outputs and services were always read leniently.

// checkV1Keys refuses unknown keys where the release decodes v1 files
// strictly: at the top, in onboarding, in storage and in each destination
// and its database.
func checkV1Keys(doc *yaml.Node, rel release.Release) error {
	if !rel.Has(release.StrictV1) {
		return nil
	}
	root := documentRoot(doc)
	if err := knownKeys(root, rel, release.V1Top); err != nil {
		return err
	}
	if err := knownKeys(child(root, "onboarding"), rel, release.Onboarding); err != nil {
		return err
	}
	if err := knownKeys(child(root, "storage"), rel, release.V1Storage); err != nil {
		return err
	}
	if dests := child(root, "destinations"); dests != nil && dests.Kind == yaml.SequenceNode {
		for _, d := range dests.Content {
			if err := knownKeys(d, rel, release.V1Destination); err != nil {
				return err
			}
			if err := knownKeys(child(d, "database"), rel, release.V1Database); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkV2Keys refuses unknown keys where the release decodes v2 files
// strictly: at the top and in onboarding.
func checkV2Keys(doc *yaml.Node, rel release.Release) error {
	if !rel.Has(release.StrictV2) {
		return nil
	}
	root := documentRoot(doc)
	if err := knownKeys(root, rel, release.V2Top); err != nil {
		return err
	}
	return knownKeys(child(root, "onboarding"), rel, release.Onboarding)
}

// placeWords names a place of the file in a refusal.
var placeWords = map[release.KeyPlace]string{
	release.V1Top: "the top level", release.V2Top: "the top level", release.Onboarding: "onboarding",
	release.V1Storage: "storage", release.V1Destination: "a destination", release.V1Database: "a destination's database",
}

// knownKeys refuses a key of mapping m that the release does not know at
// the place. The refusal names the key only if it looks like one
// (safeSubject): a key is not a secret, but a token pasted where a key goes
// would be.
func knownKeys(m *yaml.Node, rel release.Release, place release.KeyPlace) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	known := rel.Keys(place)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(known, k.Value) {
			return refuse(UnknownKey, k.Value).at(k.Line).with(placeWords[place])
		}
	}
	return nil
}
