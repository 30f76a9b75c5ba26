-- lua: 200k small tables and strings per round, a third dropped, a full collection, 8 rounds.
local t = {}
local s = 0
for r = 1, 8 do
  t = {}
  for i = 1, 200000 do t[i] = {i, tostring(i) .. "x", {r}} end
  for i = 1, #t, 3 do t[i] = nil end
  collectgarbage()
  for i = 2, #t, 2 do local v = t[i]; if v then s = s + #v[2] end end
end
print(s)
