// string_methods
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : string;
        s = "Hello, Phantom";
        p("" + s.length() + " " + s.charAt(0) + " " + s.charAt(7) + " " + s.substring(7, 7) + " " + s.substring(7, 100));
        p("" + s.strstr("Phan") + " " + s.strstr("xyz") + " " + s.strstr(""));
        p(s.concat("!") + " " + s.equals("Hello, Phantom") + s.equals("hello") + (s == "Hello, Phantom") + (s != "x"));
        p("" + "123".toInt() + " " + "-45".toInt() + " " + "9000000000".toLong() + " " + ("7".toInt() + 1));
        p("" + ("abc".hashCode() == "abc".hashCode()) + ("abc".hashCode() == "abd".hashCode()));
    }
};
