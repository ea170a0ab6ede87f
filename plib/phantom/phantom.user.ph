// .phantom.user: the user a thread runs for. A hosted world has one user.
package .phantom;

class user
{
    string getName() { return "user"; }
};
