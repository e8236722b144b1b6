package http

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// webpChunk builds one RIFF chunk, padded to an even length.
func webpChunk(fourcc string, payload []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	c = append(c, payload...)
	if len(payload)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// webpFile wraps chunks in a RIFF WEBP header.
func webpFile(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// TestWebPMetadataStripped drops a WebP's EXIF (with a GPS position) and
// XMP chunks, clears their flags, keeps the image chunks byte for byte and
// the orientation in a minimal EXIF chunk.
func TestWebPMetadataStripped(t *testing.T) {
	vp8x := []byte{0x08 | 0x04 | 0x10, 0, 0, 0, 7, 0, 0, 7, 0, 0}                   // EXIF, XMP, alpha; 8×8
	image := webpChunk("VP8L", []byte{0x2f, 7, 0xc0, 0x01, 0x10, 0x8d, 0xfe, 0x07}) // odd-length: padded
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0,
		2, 0,
		0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,
		0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0,
		0, 0, 0, 0,
		'G', 'P', 'S', 0}
	in := webpFile(webpChunk("VP8X", vp8x), image, webpChunk("EXIF", tiff), webpChunk("XMP ", []byte("<x:xmpmeta>GPSLatitude 39.9</x:xmpmeta>")))
	if got := stripMetadataMust(t, "image/webp", in); got != nil {
		for _, leak := range []string{"GPS", "xmpmeta", "XMP "} {
			if bytes.Contains(got, []byte(leak)) {
				t.Errorf("the stored WebP still holds %q", leak)
			}
		}
		if !bytes.Contains(got, image) {
			t.Error("the image chunk changed")
		}
		if n := binary.LittleEndian.Uint32(got[4:8]); int(n) != len(got)-8 {
			t.Errorf("RIFF size %d, want %d", n, len(got)-8)
		}
		if flags := got[20]; flags != 0x08|0x10 {
			t.Errorf("VP8X flags %#x, want EXIF and alpha only", flags)
		}
		at := bytes.Index(got, []byte("EXIF"))
		if at < 0 || exifOrientation(append([]byte("Exif\x00\x00"), got[at+8:]...)) != 6 {
			t.Error("the orientation was not kept")
		}
	}
	// Without an orientation no EXIF chunk is left at all.
	plain := webpFile(webpChunk("VP8X", vp8x), image, webpChunk("XMP ", []byte("<x:xmpmeta/>")))
	if got := stripMetadataMust(t, "image/webp", plain); bytes.Contains(got, []byte("EXIF")) || got[20] != 0x10 {
		t.Errorf("stripped %q", got)
	}
	if _, err := stripMetadata("image/webp", in[:30]); err == nil {
		t.Error("a truncated WebP was accepted")
	}
}

// TestGIFMetadataStripped drops a GIF's comments and XMP application
// block, keeps its looping block, and the frames decode as before.
func TestGIFMetadataStripped(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	frame := func(c uint8) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
		for i := range m.Pix {
			m.Pix[i] = (c + uint8(i)) % 2
		}
		return m
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame(0), frame(1)}, Delay: []int{10, 10}, LoopCount: 0}); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	head := 13 // header and screen descriptor, then the global colour table
	if plain[10]&0x80 != 0 {
		head += 3 << (plain[10]&7 + 1)
	}
	note := "shot at 3号楼1502"
	comment := append([]byte{0x21, 0xFE, byte(len(note))}, note...)
	comment = append(comment, 0)
	xmp := append([]byte{0x21, 0xFF, 11}, "XMP DataXMP"...)
	xmp = append(append(xmp, 12), "<x:xmpmeta/>"...)
	xmp = append(xmp, 0)
	in := append(append(append(append([]byte{}, plain[:head]...), comment...), xmp...), plain[head:]...)
	got := stripMetadataMust(t, "image/gif", in)
	if !bytes.Equal(got, plain) {
		t.Fatalf("stripped GIF differs from the plain one:\n%q\n%q", got, plain)
	}
	if !bytes.Contains(got, []byte("NETSCAPE2.0")) {
		t.Error("the looping block was dropped")
	}
	if _, err := stripMetadata("image/gif", in[:len(in)-5]); err == nil {
		t.Error("a truncated GIF was accepted")
	}
}

func stripMetadataMust(t *testing.T, mediaType string, b []byte) []byte {
	t.Helper()
	out, err := stripMetadata(mediaType, b)
	if err != nil {
		t.Fatalf("strip %s: %v", mediaType, err)
	}
	return out
}
