// deploy-check-go: the Go half of tools/deploy-check, for the validators that are Go libraries:
//
//	compose <file>     load docker-compose.yml with compose-go (the loader `docker compose` uses):
//	                   the Compose Specification schema, interpolation with an EMPTY environment
//	                   (so only ${VAR:-default} defaults apply), normalisation and consistency
//	                   checks (undefined references, depends_on cycles); prints the project as
//	                   JSON on stdout.
//	k8s-policy <dir>   evaluate the Rego policies under dir (one package k8s.<check> per check,
//	                   conftest-style `deny contains msg` rules) with the OPA Go module. Reads
//	                   the input document on stdin; prints {"<check>": [msg, ...]}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/open-policy-agent/opa/v1/rego"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "compose":
		if len(os.Args) != 3 {
			usage()
		}
		err = composeCmd(os.Args[2])
	case "k8s-policy":
		if len(os.Args) != 3 {
			usage()
		}
		err = k8sPolicyCmd(os.Args[2], os.Stdin, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploy-check-go compose FILE | k8s-policy DIR < input.json")
	os.Exit(2)
}

func composeCmd(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithName("deploy-check"),
		cli.WithEnv([]string{}), // deliberately empty: validate the committed defaults, not the caller's shell
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(false),
	)
	if err != nil {
		return fmt.Errorf("compose options: %w", err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		return fmt.Errorf("compose-go rejected %s: %w", file, err)
	}
	out, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

func k8sPolicyCmd(dir string, in io.Reader, out io.Writer) error {
	var input any
	dec := json.NewDecoder(in)
	dec.UseNumber()
	if err := dec.Decode(&input); err != nil {
		return fmt.Errorf("reading the policy input: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.rego"))
	if err != nil {
		return err
	}
	opts := []func(*rego.Rego){
		rego.Query("data.k8s"),
		rego.Input(input),
		rego.StrictBuiltinErrors(true),
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		opts = append(opts, rego.Module(f, string(src)))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", dir, err)
	}
	checks := map[string]any{}
	if len(rs) == 1 {
		if m, ok := rs[0].Expressions[0].Value.(map[string]any); ok {
			for name, pkg := range m {
				checks[name] = pkg.(map[string]any)["deny"]
			}
		}
	}
	if len(checks) == 0 {
		return fmt.Errorf("no policy package k8s.<check> under %s", dir)
	}
	return json.NewEncoder(out).Encode(checks)
}
