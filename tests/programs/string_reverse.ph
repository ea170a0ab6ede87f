// string_reverse
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int isPalindrome(var w : string)
    {
        var i : int;
        var j : int;
        i = 0;
        j = w.length() - 1;
        while (i < j) { if (w.charAt(i) != w.charAt(j)) return 0; i = i + 1; j = j - 1; }
        return 1;
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : string;
        var r : string;
        var i : int;
        s = "persistence";
        r = "";
        i = s.length() - 1;
        while (i >= 0) { r = r + s.substring(i, 1); i = i - 1; }
        p(r + " " + isPalindrome("racecar") + isPalindrome("phantom"));
    }
};
