import pytest
from neuroregen.interop import sdtm
from neuroregen.interop.dataset import collect
from neuroregen.interop.sdtm import define
from tests.interop.builders import PROTOCOL

@pytest.mark.django_db
def test_peek(world, tmp_path):
    frames = sdtm.build_domains(collect(user=world.admin, protocol=PROTOCOL))
    xml = define.define_xml(frames, study="NR-CELL-01", study_name="x", protocol_name="y")
    open("/tmp/define_peek.xml","wb").write(xml)
    print(define.validate(xml)[:10]); print(define.dangling(xml)[:10])
