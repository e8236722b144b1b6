package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
)

// blobsFlag registers --blobs, the store of attachments (env YISHI_BLOBS).
func blobsFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("blobs", getenv("YISHI_BLOBS"), "the attachment store: file:///path or s3://bucket?endpoint=host:port (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); default the directory attachments beside the embedded store, or in --data for KurrentDB (env YISHI_BLOBS)")
}

// blobsURL is the attachment store of the ledger in spec: blobs when given,
// else the directory "attachments" inside the data directory (the embedded
// store's, or dataDir for KurrentDB).
func blobsURL(blobs, spec, dataDir string) (string, error) {
	if blobs != "" {
		return blobs, nil
	}
	dir := dataDir
	if spec != "" && !kurrent.IsConnectionString(spec) {
		dir = spec
	}
	abs, err := filepath.Abs(filepath.Join(dir, "attachments"))
	if err != nil {
		return "", fmt.Errorf("attachment store: %w", err)
	}
	return "file://" + filepath.ToSlash(abs), nil
}

// openBlobs opens the attachment store of the ledger in spec (see blobsURL).
func openBlobs(ctx context.Context, blobs, spec, dataDir string, getenv func(string) string) (blob.Store, error) {
	u, err := blobsURL(blobs, spec, dataDir)
	if err != nil {
		return nil, err
	}
	s, err := blob.Open(ctx, u, getenv)
	if err != nil {
		return nil, fmt.Errorf("--blobs: %w", err)
	}
	return s, nil
}
