// deploy-check-go: the Go half of tools/deploy-check, for the validators that are Go libraries:
//
//	compose <file>     load docker-compose.yml with compose-go (the loader `docker compose` uses):
//	                   the Compose Specification schema, interpolation with an EMPTY environment
//	                   (so only ${VAR:-default} defaults apply), normalisation and consistency
//	                   checks (undefined references, depends_on cycles); prints the project as
//	                   JSON on stdout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
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
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploy-check-go compose FILE")
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
