from urllib.parse import quote
from tests.helpers import create_tenant

def test_probe(client, runner):
    t = create_tenant(runner, client, "A", "a@example.com")
    h = t.headers
    keys = ['a"b', '"', '\\', 'a".b', '$', '[', '[0]', 'é', 'a b', '..', '"a', 'a\\"', '*', "'", 'a"]', '\\u0000', '', ' ', 'a"."b', '$.a', 'a.b']
    attrs = {k: "v" for k in keys}
    r = client.post("/api/v1/contacts", headers=h, json={"phone": "0612345679", "attributes": attrs})
    print(r.status_code)
    for k in keys:
        r = client.get(f"/api/v1/contacts?attr.{quote(k)}=v", headers=h)
        print(repr(k), r.status_code, len(r.json["items"]) if r.status_code == 200 else r.json)
