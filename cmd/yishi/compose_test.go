package main

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string      `yaml:"image"`
		Build       any         `yaml:"build"`
		Environment environment `yaml:"environment"`
		Volumes     []string    `yaml:"volumes"`
		Networks    any         `yaml:"networks"`
		Secrets     []string    `yaml:"secrets"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]any `yaml:"volumes"`
}

// environment is a service's environment, written as a map or as a list of
// KEY=value.
type environment map[string]string

// UnmarshalYAML reads either form.
func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	*e = environment{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	return n.Decode((*map[string]string)(e))
}

// kurrentImage matches a KurrentDB image whose tag defaults to a version.
var kurrentImage = regexp.MustCompile(`/kurrentdb:\$\{KURRENTDB_TAG:-\d+\.\d+(\.\d+)?\}$`)

// TestComposeFile checks compose.yaml for what cannot be run here (there is
// no Docker engine): KurrentDB pinned to a version, yishi's data directory
// on a named volume (keys and snapshots survive down and up), a wait for the
// store while a cluster elects its leader, no deprecated AtomPub setting,
// and a cluster subnet apart from KurrentDB's own sample (172.30.240.0/24)
// that holds every address the file names.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	subnet := c.Networks["cluster"].IPAM.Config
	if len(subnet) != 1 {
		t.Fatalf("cluster network subnets %+v, want one", subnet)
	}
	_, cluster, err := net.ParseCIDR(subnet[0].Subnet)
	if err != nil {
		t.Fatal(err)
	}
	if _, sample, _ := net.ParseCIDR("172.30.240.0/24"); cluster.Contains(sample.IP) || sample.Contains(cluster.IP) {
		t.Errorf("cluster subnet %s overlaps KurrentDB's sample 172.30.240.0/24", cluster)
	}
	ip := regexp.MustCompile(`\b\d+\.\d+\.\d+\.\d+\b`)
	kurrent, yishi := 0, 0
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if strings.Contains(k, "ATOM_PUB") {
				t.Errorf("%s sets %s: AtomPub is deprecated", name, k)
			}
			for _, a := range ip.FindAllString(v, -1) {
				if strings.HasPrefix(k, "KURRENTDB_") || k == "YISHI_STORE" {
					if !cluster.Contains(net.ParseIP(a)) {
						t.Errorf("%s: %s names %s, outside the cluster subnet %s", name, k, a, cluster)
					}
				}
			}
		}
		if strings.Contains(s.Image, "kurrentdb") {
			kurrent++
			if !kurrentImage.MatchString(s.Image) {
				t.Errorf("%s: image %q, want KurrentDB pinned to a version", name, s.Image)
			}
		}
		if s.Build == nil {
			continue
		}
		yishi++
		named := false
		for _, v := range s.Volumes {
			vol, path, _ := strings.Cut(v, ":")
			_, declared := c.Volumes[vol]
			named = named || (declared && path == "/data")
		}
		if !named {
			t.Errorf("%s: volumes %v, want a named volume at /data", name, s.Volumes)
		}
		if d, err := time.ParseDuration(s.Environment["YISHI_STORE_WAIT"]); err != nil || d <= 0 {
			t.Errorf("%s: YISHI_STORE_WAIT %q, want a wait for the store", name, s.Environment["YISHI_STORE_WAIT"])
		}
	}
	if kurrent < 4 || yishi < 2 {
		t.Errorf("found %d KurrentDB and %d yishi services, want the single node, the three cluster nodes and two yishi", kurrent, yishi)
	}
	checkComposeReplicas(t, c)
}

// minioImage matches a MinIO image whose tag defaults to a release.
var minioImage = regexp.MustCompile(`/minio:\$\{MINIO_TAG:-RELEASE\.[0-9TZ-]+\}$`)

// secretDir finds the directory of a secret's default file, ./dir/name.
var secretDir = regexp.MustCompile(`^(?:\$\{[A-Z_]+:-)?\./([^/}]+)/[^/}]+\}?$`)

// checkComposeReplicas checks the replicas' services: MinIO pinned to a
// release; every replica on the same S3 bucket for attachments and for
// the shared key store, under prefixes apart (checkApart, as serve
// checks); the key-encryption key from a compose secret file, never
// written in the file, and kept out of the image's build context.
func checkComposeReplicas(t *testing.T, c composeFile) {
	t.Helper()
	minio := 0
	keys := map[string]bool{}
	replicas := 0
	for name, s := range c.Services {
		if strings.Contains(s.Image, "/minio:") {
			minio++
			if !minioImage.MatchString(s.Image) {
				t.Errorf("%s: image %q, want MinIO pinned to a release", name, s.Image)
			}
		}
		if _, set := s.Environment["YISHI_KEYS_KEK"]; set {
			t.Errorf("%s: YISHI_KEYS_KEK written in compose.yaml; give it as a secret file", name)
		}
		k := s.Environment["YISHI_KEYS"]
		if k == "" {
			continue
		}
		replicas++
		keys[k] = true
		if !isSharedKeys(k) || !strings.Contains(k, "prefix=") {
			t.Errorf("%s: YISHI_KEYS %q, want an s3:// URL with a prefix", name, k)
		}
		blobs := s.Environment["YISHI_BLOBS"]
		if !strings.HasPrefix(blobs, "s3://") {
			t.Errorf("%s: YISHI_BLOBS %q, want the shared bucket", name, blobs)
		}
		if err := checkApart(blobs, k); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		file := s.Environment["YISHI_KEYS_KEK_FILE"]
		secret, found := strings.CutPrefix(file, "/run/secrets/")
		if !found || !slices.Contains(s.Secrets, secret) {
			t.Errorf("%s: YISHI_KEYS_KEK_FILE %q, secrets %v: want the key-encryption key from a compose secret", name, file, s.Secrets)
			continue
		}
		if c.Secrets[secret].File == "" {
			t.Errorf("%s: secret %s is not declared with a file", name, secret)
		}
	}
	if minio != 1 || replicas < 2 || len(keys) != 1 {
		t.Errorf("%d MinIO services, %d replicas with a shared key store, %d different key stores: want one MinIO and two or more replicas on one key store", minio, replicas, len(keys))
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Secrets {
		m := secretDir.FindStringSubmatch(s.File)
		if m == nil || !slices.Contains(strings.Fields(string(ignore)), m[1]) {
			t.Errorf("the secret %s: want it in a directory of the project that .dockerignore keeps out of the image", s.File)
		}
	}
}
