package http

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Photos lose their metadata on upload: EXIF (GPS position, camera serial,
// time), XMP, IPTC and comments. The pixels are not re-encoded: the
// compressed image data is copied byte for byte, so nothing is lost in
// quality, and only metadata segments (JPEG) or chunks (PNG) are dropped.
// A JPEG's orientation is the one EXIF tag kept (in a minimal EXIF block of
// its own), so that a photo taken upright is still shown upright. WebP
// loses its EXIF and XMP chunks (an orientation kept likewise) and GIF its
// comments and application blocks (XMP lives in one), the looping block
// excepted. No Go library strips these formats without re-encoding (and
// re-encoding a lossy WebP loses quality): the walkers below only cut.

// errBadImage says the bytes are not a well-formed image of their type.
var errBadImage = errors.New("malformed image")

// stripMetadata returns the image without its metadata.
func stripMetadata(mediaType string, b []byte) ([]byte, error) {
	switch mediaType {
	case "image/jpeg":
		return stripJPEG(b)
	case "image/png":
		return stripPNG(b)
	case "image/webp":
		return stripWebP(b)
	case "image/gif":
		return stripGIF(b)
	}
	return b, nil
}

// stripJPEG drops every APPn segment but JFIF (APP0), ICC colour profiles
// (APP2 "ICC_PROFILE") and Adobe's colour transform (APP14), and every
// comment (COM); an EXIF orientation is kept in a minimal APP1 of its own.
func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, errBadImage
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	orientation := uint16(0)
	i := 2
	for {
		if i+1 >= len(b) || b[i] != 0xFF {
			return nil, errBadImage
		}
		for i+1 < len(b) && b[i+1] == 0xFF { // fill bytes
			i++
		}
		if i+1 >= len(b) {
			return nil, errBadImage
		}
		m := b[i+1]
		if m == 0xD9 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) { // no length
			out = append(out, b[i:i+2]...)
			if m == 0xD9 {
				return out, nil
			}
			i += 2
			continue
		}
		if i+4 > len(b) {
			return nil, errBadImage
		}
		end := i + 2 + int(binary.BigEndian.Uint16(b[i+2:i+4]))
		if end > len(b) || end < i+4 {
			return nil, errBadImage
		}
		seg, payload := b[i:end], b[i+4:end]
		switch {
		case m == 0xDA: // start of scan: the image data follows, kept as is
			if orientation > 1 {
				out = insertOrientation(out, orientation)
			}
			return append(out, b[i:]...), nil
		case m == 0xE1:
			if o := exifOrientation(payload); o != 0 {
				orientation = o
			}
		case m == 0xE2 && bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")), m == 0xE0, m == 0xEE:
			out = append(out, seg...)
		case m >= 0xE3 && m <= 0xEF, m == 0xE2, m == 0xFE:
			// metadata or comment: dropped
		default:
			out = append(out, seg...)
		}
		i = end
	}
}

// insertOrientation puts a minimal EXIF block (only the orientation tag)
// right after SOI and any JFIF segment.
func insertOrientation(out []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, 0, 0, 0, 0}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := append([]byte{0xFF, 0xE1, 0, 0}, payload...)
	binary.BigEndian.PutUint16(seg[2:4], uint16(len(payload)+2))
	at := 2
	if len(out) >= 4 && out[2] == 0xFF && out[3] == 0xE0 {
		at = 4 + int(binary.BigEndian.Uint16(out[4:6]))
	}
	res := make([]byte, 0, len(out)+len(seg))
	res = append(res, out[:at]...)
	res = append(res, seg...)
	return append(res, out[at:]...)
}

// exifOrientation reads the orientation tag (1..8) of IFD0 in an APP1 EXIF
// payload, 0 when there is none.
func exifOrientation(p []byte) uint16 {
	if !bytes.HasPrefix(p, []byte("Exif\x00\x00")) || len(p) < 14 {
		return 0
	}
	t := p[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := range n {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := bo.Uint16(t[e+8:]); o >= 1 && o <= 8 {
				return o
			}
		}
	}
	return 0
}

// pngMetadata are the PNG chunks that carry metadata: EXIF, text (where
// XMP lives too) and the modification time.
var pngMetadata = map[string]bool{"eXIf": true, "tEXt": true, "zTXt": true, "iTXt": true, "tIME": true}

// stripPNG drops the metadata chunks; the others are copied as they are
// (their CRCs unchecked: a decoder judges the image, this only cuts).
func stripPNG(b []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		return nil, errBadImage
	}
	out := append(make([]byte, 0, len(b)), sig...)
	for i := len(sig); ; {
		if i+12 > len(b) {
			return nil, errBadImage
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		end := i + 12 + n
		if n < 0 || end > len(b) || end < i {
			return nil, errBadImage
		}
		typ := string(b[i+4 : i+8])
		if !pngMetadata[typ] {
			out = append(out, b[i:end]...)
		}
		if typ == "IEND" {
			return out, nil
		}
		i = end
	}
}

// stripWebP drops the EXIF and XMP chunks of a RIFF WebP file and clears
// their flags in the VP8X header; an EXIF orientation other than 1 is kept
// in a minimal EXIF chunk of its own. Other chunks are copied as they are.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, errBadImage
	}
	end := 8 + int(binary.LittleEndian.Uint32(b[4:8]))
	if end > len(b) || end < 12 {
		return nil, errBadImage
	}
	out := append(make([]byte, 0, len(b)), b[:12]...)
	vp8x := -1
	orientation := uint16(0)
	for i := 12; i < end; {
		if i+8 > end {
			return nil, errBadImage
		}
		n := int(binary.LittleEndian.Uint32(b[i+4 : i+8]))
		next := i + 8 + n + n&1
		if n < 0 || i+8+n > end || next < i {
			return nil, errBadImage
		}
		next = min(next, end)
		switch fourcc := string(b[i : i+4]); fourcc {
		case "EXIF":
			p := b[i+8 : i+8+n]
			if !bytes.HasPrefix(p, []byte("Exif\x00\x00")) {
				p = append([]byte("Exif\x00\x00"), p...)
			}
			if o := exifOrientation(p); o != 0 {
				orientation = o
			}
		case "XMP ":
		default:
			if fourcc == "VP8X" && n >= 10 {
				vp8x = len(out)
			}
			out = append(out, b[i:next]...)
		}
		i = next
	}
	if vp8x >= 0 {
		out[vp8x+8] &^= 0x08 | 0x04 // EXIF and XMP present
		if orientation > 1 {
			tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(orientation >> 8), byte(orientation), 0, 0, 0, 0, 0, 0}
			out = append(out, "EXIF"...)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(tiff)))
			out = append(out, tiff...)
			out[vp8x+8] |= 0x08
		}
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}

// stripGIF drops a GIF's comment extensions and application extensions
// (XMP data, other programs' notes) but the looping one (NETSCAPE2.0,
// ANIMEXTS1.0); the header, colour tables, graphic controls and image data
// are copied as they are.
func stripGIF(b []byte) ([]byte, error) {
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return nil, errBadImage
	}
	table := func(flags byte) int {
		if flags&0x80 == 0 {
			return 0
		}
		return 3 << (flags&0x07 + 1)
	}
	// subBlocks returns the end of the data sub-blocks starting at i.
	subBlocks := func(i int) (int, error) {
		for {
			if i >= len(b) {
				return 0, errBadImage
			}
			n := int(b[i])
			i++
			if n == 0 {
				return i, nil
			}
			i += n
		}
	}
	i := 13 + table(b[10])
	if i > len(b) {
		return nil, errBadImage
	}
	out := append(make([]byte, 0, len(b)), b[:i]...)
	for {
		if i >= len(b) {
			return nil, errBadImage
		}
		switch b[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x2C: // image descriptor, local colour table, LZW data
			if i+10 > len(b) {
				return nil, errBadImage
			}
			start := i + 10 + table(b[i+9])
			if start >= len(b) {
				return nil, errBadImage
			}
			end, err := subBlocks(start + 1) // after the LZW minimum code size
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:end]...)
			i = end
		case 0x21: // extension
			if i+2 > len(b) {
				return nil, errBadImage
			}
			end, err := subBlocks(i + 2)
			if err != nil {
				return nil, err
			}
			label := b[i+1]
			keep := label != 0xFE && label != 0xFF
			if label == 0xFF && i+14 <= len(b) && b[i+2] == 11 {
				app := string(b[i+3 : i+14])
				keep = app == "NETSCAPE2.0" || app == "ANIMEXTS1.0"
			}
			if keep {
				out = append(out, b[i:end]...)
			}
			i = end
		default:
			return nil, errBadImage
		}
	}
}
