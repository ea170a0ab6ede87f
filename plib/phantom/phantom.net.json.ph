// .phantom.net.json: JSON text to objects and back (docs/network.md "JSON").
//
//   var j : .phantom.net.json = new .phantom.net.json();
//   var d : .internal.directory = (.internal.directory) j.parse("{\"n\": 3, \"tags\": [\"a\"]}");
//   j.stringify(d)                       // {"n":3,"tags":["a"]}
//
// parse() is string.parseJson(): objects become .internal.directory, arrays arrays, strings strings,
// integers ints (longs or doubles when they do not fit), reals doubles, true/false ints 1/0, null the
// null object; malformed text throws "parseJson: parse error at line L, column C: ...".
// stringify() writes the same kinds back: directories (keys sorted, so the text is the same for the
// same tree), arrays, strings (escaped), ints, longs, doubles, floats and null. An int is a number, so
// true and false come back as 1 and 0. Another kind of object, a NaN or an infinity, or nesting deeper
// than 256 (a cycle) throws a string that says which.
package .phantom.net;

import .phantom.util.stringbuilder;

class json extends .internal.object
{
    var stringClass : .internal.object;
    var intClass : .internal.object;
    var longClass : .internal.object;
    var doubleClass : .internal.object;
    var floatClass : .internal.object;
    var directoryClass : .internal.object;
    var arrayClass : .internal.object;

    void json()
    {
        var o : .internal.object;
        // The kind of a value is told by its class object: these are the ones parse() makes.
        stringClass = "".getClass();
        o = 1; intClass = o.getClass();
        o = 5000000000L; longClass = o.getClass();
        o = 1.5; doubleClass = o.getClass();
        o = 1.5f; floatClass = o.getClass();
        directoryClass = (new .internal.directory()).getClass();
        arrayClass = (new .internal.object[]()).getClass();
    }

    .internal.object parse(var text : string)
    {
        if (text :== null) throw "json.parse: the text is null";
        return text.parseJson();
    }

    string stringify(var value : .internal.object)
    {
        var out : .phantom.util.stringbuilder;
        out = new .phantom.util.stringbuilder();
        write(out, value, 0);
        return out.toString();
    }

    void write(var out : .phantom.util.stringbuilder, var value : .internal.object, var depth : int)
    {
        var c : .internal.object;
        var s : string;
        if (value :== null) { out.append("null"); return; }
        if (depth > 256) throw "json.stringify: nesting deeper than 256 levels (is there a cycle?)";
        c = value.getClass();
        if (c :== stringClass) { writeString(out, (string) value); return; }
        if (c :== intClass || c :== longClass) { out.append(value.toString()); return; }
        if (c :== doubleClass || c :== floatClass)
        {
            s = value.toString();
            if (s.strstr("n") >= 0) throw "json.stringify: " + s + " is not a JSON number";  // nan, inf
            out.append(s);
            return;
        }
        if (c :== arrayClass) { writeArray(out, (.internal.object[]) value, depth); return; }
        if (c :== directoryClass) { writeObject(out, (.internal.directory) value, depth); return; }
        throw "json.stringify: an object of class " + value.toString() + " has no JSON form";
    }

    void writeArray(var out : .phantom.util.stringbuilder, var a : .internal.object[], var depth : int)
    {
        var i : int;
        out.append("[");
        i = 0;
        while (i < a.size())
        {
            if (i > 0) out.append(",");
            write(out, a[i], depth + 1);
            i = i + 1;
        }
        out.append("]");
    }

    void writeObject(var out : .phantom.util.stringbuilder, var d : .internal.directory, var depth : int)
    {
        var keys : string[];
        var i : int;
        keys = sorted((string[]) d.12());  // ordinal 12: the keys (ours; not declared in .internal.directory)
        out.append("{");
        i = 0;
        while (i < keys.size())
        {
            if (i > 0) out.append(",");
            writeString(out, keys[i]);
            out.append(":");
            write(out, d.get(keys[i]), depth + 1);
            i = i + 1;
        }
        out.append("}");
    }

    // A JSON string: quotes, backslashes and control bytes escaped; other bytes (UTF-8) as they are.
    void writeString(var out : .phantom.util.stringbuilder, var s : string)
    {
        var i : int;
        var from : int;
        var ch : int;
        var hex : string;
        hex = "0123456789abcdef";
        out.append("\"");
        from = 0;
        i = 0;
        while (i < s.length())
        {
            ch = s.charAt(i);
            if (ch < 32 || ch == 34 || ch == 92)
            {
                if (i > from) out.append(s.substring(from, i - from));
                if (ch == 34) out.append("\\\"");
                else if (ch == 92) out.append("\\\\");
                else if (ch == 10) out.append("\\n");
                else if (ch == 13) out.append("\\r");
                else if (ch == 9) out.append("\\t");
                else if (ch == 8) out.append("\\b");
                else if (ch == 12) out.append("\\f");
                else out.append("\\u00").append(hex.substring(ch / 16, 1)).append(hex.substring(ch % 16, 1));
                from = i + 1;
            }
            i = i + 1;
        }
        if (i > from) out.append(s.substring(from, i - from));
        out.append("\"");
    }

    // Insertion sort by bytes: objects are small, and a stable text matters more than speed here.
    string[] sorted(var keys : string[])
    {
        var i : int;
        var j : int;
        var k : string;
        i = 1;
        while (i < keys.size())
        {
            k = keys[i];
            j = i - 1;
            while (j >= 0)  // not `j >= 0 && before(...)`: both sides of && are always evaluated
            {
                if (!before(k, keys[j])) break;
                keys[j + 1] = keys[j];
                j = j - 1;
            }
            keys[j + 1] = k;
            i = i + 1;
        }
        return keys;
    }

    int before(var a : string, var b : string)
    {
        var i : int;
        i = 0;
        while (i < a.length() && i < b.length())
        {
            if (a.charAt(i) != b.charAt(i)) return a.charAt(i) < b.charAt(i);
            i = i + 1;
        }
        return a.length() < b.length();
    }
};
