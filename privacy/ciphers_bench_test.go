package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

var sinkAEAD cipher.AEAD

// BenchmarkCiphers sets up a key's cipher and opens a short value (a
// name with a door number) with each of the two AEADs a sealed value may
// use: AES-256-GCM (sealed:v1:, attachments) and ChaCha20-Poly1305
// (sealed:v2:). docs/privacy.md explains the choice from these figures:
//
//	go test ./privacy -run '^$' -bench Ciphers -benchmem
func BenchmarkCiphers(b *testing.B) {
	key := make([]byte, 32)
	aesGCM := func(k []byte) (cipher.AEAD, error) {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(block)
	}
	for _, c := range []struct {
		name string
		make func([]byte) (cipher.AEAD, error)
	}{{"aes-gcm", aesGCM}, {"chacha20-poly1305", chacha20poly1305.New}} {
		b.Run("setup/"+c.name, func(b *testing.B) {
			for b.Loop() {
				key[0]++
				a, err := c.make(key)
				if err != nil {
					b.Fatal(err)
				}
				sinkAEAD = a
			}
		})
		b.Run("open/"+c.name, func(b *testing.B) {
			a, err := c.make(key)
			if err != nil {
				b.Fatal(err)
			}
			nonce, ad := make([]byte, a.NonceSize()), []byte("person/r1")
			ct := a.Seal(nil, nonce, []byte("张三丰 3-2-101"), ad)
			dst := make([]byte, 0, 64)
			for b.Loop() {
				if _, err := a.Open(dst, nonce, ct, ad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
