// string_escapes
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : string;
        s = "tab\there\nquote\" backslash\\ end";
        p(s);
        p("" + s.length() + " " + "\r".charAt(0) + " " + "\b".charAt(0));
    }
};
