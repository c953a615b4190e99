package config

import (
	"errors"
	"fmt"
)

// View is what the start event is derived from: tbot's configuration after
// it merged its flags over its file.
type View struct {
	// Oneshot is true when tbot would run once and exit.
	Oneshot bool
	// JoinMethod is the configured join method; empty when nothing
	// configures one.
	JoinMethod string
	// Services holds the type of every configured output and service, as a
	// v2 file spells it (v1 destinations as tbot migrated them).
	Services []string
}

// Load reads the configuration file the invocation names (if any) and
// merges the invocation over it as the newest tbot does.
func (inv *Invocation) Load() (*View, error) {
	file := &fileView{}
	var data []byte
	var err error
	switch {
	case inv.ConfigString != "":
		data, err = decodeConfigString(inv.ConfigString)
	case inv.ConfigPath != "":
		data, err = readConfigFile(inv.ConfigPath)
	}
	if err != nil {
		return nil, err
	}
	if data != nil {
		if file, err = parseFile(data); err != nil {
			return nil, err
		}
	}
	return merge(inv, file)
}

// merge applies tbot's rules: flags win over the file, bools either way; any
// onboarding flag replaces the file's whole onboarding block; a join URI
// fills only what is unset; --destination-dir replaces the file's services
// but keeps its outputs; a start mode appends its one service.
func merge(inv *Invocation, file *fileView) (*View, error) {
	v := &View{Oneshot: file.Oneshot}
	if inv.OneshotSet {
		v.Oneshot = inv.Oneshot
	}

	joinMethod, tokenSet := file.JoinMethod, file.TokenSet
	if inv.TokenSet || inv.JoinMethod != "" || inv.CAPinsSet {
		joinMethod, tokenSet = inv.JoinMethod, inv.TokenSet
	}
	uri := file.JoinURI
	if inv.JoinURI.Set {
		uri = inv.JoinURI
	}
	if uri.Set {
		switch {
		case inv.AddressSet || file.AddressSet:
			return nil, errors.New("tbot would refuse the join URI: an address is also given")
		case tokenSet:
			return nil, errors.New("tbot would refuse the join URI: a token is also given")
		case joinMethod != "" && joinMethod != uri.JoinMethod:
			return nil, errors.New("tbot would refuse the join URI: a different join method is also given")
		}
		joinMethod = uri.JoinMethod
	}
	if joinMethod != "" && !isPlausibleJoinMethod(joinMethod) {
		return nil, fmt.Errorf("tbot would refuse the join method: unrecognized join method")
	}
	v.JoinMethod = joinMethod

	services := file.Services
	if inv.DestinationDir {
		services = []string{"identity"}
	}
	v.Services = make([]string, 0, len(services)+len(file.Outputs)+1)
	v.Services = append(v.Services, services...)
	if inv.ServiceType != "" {
		v.Services = append(v.Services, inv.ServiceType)
	}
	v.Services = append(v.Services, file.Outputs...)
	return v, nil
}
