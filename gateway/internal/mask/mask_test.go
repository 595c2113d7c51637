package mask

import "testing"

func TestMasking(t *testing.T) {
	if got := Address("jane.doe@example.org"); got != "j***@e***.org" {
		t.Errorf("Address = %q", got)
	}
	if got := Phone("+254712345678"); got != "+254*******78" {
		t.Errorf("Phone = %q", got)
	}
}
