"""Small XMILE models for examples and documentation.

``TEACUP`` is the classic cooling cup of tea: one stock, one outflow, two
constants. Its exact solution is ``70 + 110 * exp(-t / 10)``.

Examples
--------
>>> from gmsim.xmile import load_xmile_text
>>> load_xmile_text(TEACUP).variable_names
('Heat_Loss_to_Room', 'Room_Temperature', 'Teacup_Temperature', 'Characteristic_Time')
"""

__all__ = ["TEACUP"]

TEACUP = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>teacup</name><vendor>gmsim</vendor><product>gmsim</product></header>
  <sim_specs method="Euler" time_units="Minutes">
    <start>0</start><stop>30</stop><dt>0.125</dt>
  </sim_specs>
  <model>
    <variables>
      <flow name="Heat Loss to Room">
        <eqn>("Teacup Temperature" - "Room Temperature") / "Characteristic Time"</eqn>
      </flow>
      <aux name="Room Temperature"><eqn>70</eqn><units>Degrees</units></aux>
      <stock name="Teacup Temperature">
        <eqn>180</eqn>
        <outflow>Heat_Loss_to_Room</outflow>
        <units>Degrees</units>
      </stock>
      <aux name="Characteristic Time"><eqn>10</eqn><units>Minutes</units></aux>
    </variables>
  </model>
</xmile>
"""
