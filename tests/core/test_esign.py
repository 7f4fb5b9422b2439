import pytest

from neuroregen.core.errors import SignatureRejected, ValidationFailed
from neuroregen.core.models import ElectronicSignature
from neuroregen.core.services import signature_create, signature_verify, signatures_for
from neuroregen.participants import services as ps
from tests.helpers import PASSWORD, screen


@pytest.mark.django_db
def test_signature_records_name_time_meaning_and_detects_later_change(investigator_a, site_a):
    participant = screen(investigator_a, site_a)
    signature = signature_create(
        user=investigator_a, password=PASSWORD, meaning="eligibility confirmed", record=participant
    )
    assert signature.signer_name == investigator_a.display_name()
    assert signature.meaning == "eligibility confirmed"
    assert signature.signed_at is not None
    assert list(signatures_for(participant)) == [signature]
    assert signature_verify(signature)
    ps.participant_update(
        user=investigator_a,
        participant=participant,
        changes={"dsm5_severity": 3},
        reason="re-rated",
        expected_version=participant.row_version,
    )
    assert not signature_verify(ElectronicSignature.objects.get(pk=signature.pk))
    assert signature.history.first().history_user == investigator_a


@pytest.mark.django_db
def test_wrong_password_writes_nothing(investigator_a, site_a):
    participant = screen(investigator_a, site_a)
    with pytest.raises(SignatureRejected):
        signature_create(user=investigator_a, password="not-it", meaning="x", record=participant)
    assert not ElectronicSignature.objects.exists()


@pytest.mark.django_db
def test_meaning_is_required(investigator_a, site_a):
    participant = screen(investigator_a, site_a)
    with pytest.raises(ValidationFailed):
        signature_create(user=investigator_a, password=PASSWORD, meaning=" ", record=participant)
