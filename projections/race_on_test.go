//go:build race

package projections

// raceDetector is whether the tests run under the race detector, which
// drops items from sync.Pool at random and allocates for its own ends.
const raceDetector = true
