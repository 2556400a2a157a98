// deploy-check-go: the Go half of tools/deploy-check. It exists because the two most faithful
// offline validators are Go libraries served by the Go module proxy:
//
//	compose <file>     load docker-compose.yml with compose-go (the loader `docker compose` uses):
//	                   schema, interpolation with an EMPTY environment (so only ${VAR:-default}
//	                   defaults apply), normalisation and consistency checks; prints the project
//	                   as JSON on stdout.
//	compose-schema     print the Compose Specification JSON schema embedded in compose-go.
//	k8s-strict         read multi-document YAML on stdin and decode every object strictly into
//	                   the k8s.io/api Go types (unknown fields, duplicate fields, bad quantities,
//	                   wrong types); prints one JSON result per document.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
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
	case "compose-schema":
		_, err = fmt.Print(composeschema.Schema)
	case "k8s-strict":
		err = k8sStrictCmd(os.Stdin, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: deploy-check-go compose FILE | compose-schema | k8s-strict < manifests.yaml")
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

type strictResult struct {
	Index      int      `json:"index"`
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Errors     []string `json:"errors"`
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, rbacv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func k8sStrictCmd(in io.Reader, out io.Writer) error {
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	results := []strictResult{}
	for i := 0; ; {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading YAML stream: %w", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		r := strictResult{Index: i, Errors: []string{}}
		i++
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			r.Errors = append(r.Errors, "not a YAML object: "+err.Error())
			results = append(results, r)
			continue
		}
		r.APIVersion, r.Kind, r.Name = meta.APIVersion, meta.Kind, meta.Metadata.Name
		gv, err := schema.ParseGroupVersion(meta.APIVersion)
		if err != nil || !scheme.Recognizes(gv.WithKind(meta.Kind)) {
			r.Errors = append(r.Errors, fmt.Sprintf("kind %s %q is not known to the strict decoder (add its group to newScheme)", meta.APIVersion, meta.Kind))
			results = append(results, r)
			continue
		}
		if _, _, err := strict.Decode(doc, nil, nil); err != nil {
			r.Errors = append(r.Errors, err.Error())
		}
		results = append(results, r)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}
